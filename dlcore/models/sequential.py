"""``Sequential``: a plain stack of layers, each feeding the next."""

from __future__ import annotations

from typing import Any

from ..layers.base import Layer, unique_name
from ..tensor import Tensor
from .model import Model


class Sequential(Model):
    """A model whose layers run one after another.

    If the first layer knows its input shape (``input_shape=`` or ``input_dim=``), every
    layer is built as it is added, so ``summary()`` works at once; otherwise the model is
    built on the first batch it sees.
    """

    def __init__(self, layers: list[Layer] | None = None, name: str | None = None) -> None:
        super().__init__(name or unique_name("sequential"))
        self.layers: list[Layer] = []
        for layer in layers or []:
            self.add(layer)

    def add(self, layer: Layer) -> None:
        """Append ``layer``; build it right away when the incoming shape is known."""
        if not isinstance(layer, Layer):
            raise TypeError(f"Sequential.add takes a dlcore layer, got {type(layer).__name__}"
                            + (" (a class: add an instance, e.g. Dense(10))"
                               if isinstance(layer, type) else ""))
        if any(existing.name == layer.name for existing in self.layers):
            raise ValueError(f"the model already has a layer named {layer.name!r}; layer "
                             "names must be unique within a model")
        if self.layers and layer.batch_input_shape is not None and self.layers[-1].built:
            incoming = self.layers[-1].output_shape
            if tuple(layer.batch_input_shape[1:]) != tuple(incoming[1:]):
                raise ValueError(
                    f"layer {layer.name!r} was given input_shape {layer.batch_input_shape[1:]}, "
                    f"but the previous layer {self.layers[-1].name!r} outputs {incoming[1:]}"
                )
        self.layers.append(layer)
        if len(self.layers) == 1 and layer.batch_input_shape is not None:
            self.build(layer.batch_input_shape)
        elif len(self.layers) > 1 and self.layers[-2].built and not layer.built:
            layer.build_for(self.layers[-2].output_shape)

    def build(self, input_shape: tuple) -> None:
        """Build every layer not built yet, passing each output shape to the next layer."""
        shape = (None, *tuple(input_shape)[1:])
        for layer in self.layers:
            if not layer.built:
                layer.build_for(shape)
            shape = layer.output_shape

    def call(self, x: Any, training: bool = False) -> Tensor:
        if not self.layers:
            raise ValueError("the Sequential model has no layers yet: add some with .add()")
        for layer in self.layers:
            x = layer(x, training=training)
        return x

    @property
    def input_shape(self) -> tuple:
        return self.layers[0].input_shape

    def get_config(self) -> dict:
        """``{name, layers: [{class_name, config}, ...]}``, JSON-serialisable."""
        return {"name": self.name,
                "layers": [{"class_name": type(layer).__name__, "config": layer.get_config()}
                           for layer in self.layers]}

    @classmethod
    def from_config(cls, config: dict, layer_classes: dict[str, type[Layer]]) -> Sequential:
        """Rebuild from ``get_config``'s dict, looking classes up only in ``layer_classes``."""
        model = cls(name=config.get("name"))
        for entry in config.get("layers", []):
            layer_class = layer_classes.get(entry.get("class_name"))
            if layer_class is None:
                raise ValueError(f"unknown layer class {entry.get('class_name')!r}; dlcore "
                                 f"knows {', '.join(sorted(layer_classes))}")
            model.add(layer_class.from_config(entry.get("config", {})))
        return model

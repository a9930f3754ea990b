// RequireJS gives each module a URL relative to the page, and the ipywidgets HTML manager
// loads its icon fonts relative to its modules' URLs. Give the modules (all bundled in
// widgets/embed-amd.js) URLs inside _static/widgets/, where the fonts are, so that pages at
// any depth find them, with no CDN.
(function () {
  var here = document.currentScript.src;
  var widgets = here.slice(0, here.lastIndexOf("/") + 1) + "widgets/";
  var paths = {};
  ["base", "base7", "controls", "controls7", "output", "html-manager"].forEach(function (name) {
    paths["@jupyter-widgets/" + name] = widgets + name;
  });
  paths["@jupyter-widgets/html-manager/dist/libembed-amd"] = widgets + "libembed-amd";
  require.config({paths: paths});
})();

// Parse every formula of the book with MathJax's TeX input, as the pages will.
// usage: node check_math.js PATH/TO/node_modules/mathjax < formulas.json
// stdin: [{"tex": "...", "display": true}, ...]; stdout: [[index, "error message"], ...]
// All TeX extensions are loaded, as the pages autoload them on demand; "noundefined" and
// "noerrors" are left out so that an unknown macro or a missing brace is an error.
const fs = require('fs');
const formulas = JSON.parse(fs.readFileSync(0, 'utf8'));
require(process.argv[2]).init({
  loader: {load: ['input/tex-full']},
  tex: {
    packages: {'[-]': ['noundefined', 'noerrors', 'bussproofs']},
    formatError: (jax, err) => { throw err; },
  },
  startup: {typeset: false},
}).then((MathJax) => {
  const errors = [];
  formulas.forEach((f, i) => {
    try {
      MathJax.tex2mml(f.tex, {display: f.display});
    } catch (err) {
      errors.push([i, String(err.message || err)]);
    }
  });
  process.stdout.write(JSON.stringify(errors));
}).catch((err) => {
  process.stderr.write(String(err && err.stack || err));
  process.exit(2);
});

// Typeset the TeX in one HTML page into inline SVG (with hidden MathML for screen readers), offline.
// usage: node typeset.js <mathjax-full dir> <in.html> <out.html>
// Math delimiters as in Jupyter: $...$ and $$...$$ (and \(...\), \[...\]).
const path = require('path');
const fs = require('fs');
const [mjdir, input, output] = process.argv.slice(2);
const req = (m) => require(path.join(mjdir, 'js', m));
const {mathjax} = req('mathjax.js');
const {TeX} = req('input/tex.js');
const {SVG} = req('output/svg.js');
const {liteAdaptor} = req('adaptors/liteAdaptor.js');
const {RegisterHTMLHandler} = req('handlers/html.js');
const {AssistiveMmlHandler} = req('a11y/assistive-mml.js');
const PACKAGES = ['base', 'ams', 'newcommand', 'noundefined', 'boldsymbol', 'configmacros'];
req('input/tex/base/BaseConfiguration.js');
req('input/tex/ams/AmsConfiguration.js');
req('input/tex/newcommand/NewcommandConfiguration.js');
req('input/tex/noundefined/NoUndefinedConfiguration.js');
req('input/tex/boldsymbol/BoldsymbolConfiguration.js');
req('input/tex/configmacros/ConfigMacrosConfiguration.js');

const adaptor = liteAdaptor({fontSize: 16});
AssistiveMmlHandler(RegisterHTMLHandler(adaptor));
const html = mathjax.document(fs.readFileSync(input, 'utf8'), {
  InputJax: new TeX({packages: PACKAGES,
                     inlineMath: [['$', '$'], ['\\(', '\\)']], displayMath: [['$$', '$$'], ['\\[', '\\]']],
                     processEscapes: true}),
  OutputJax: new SVG({fontCache: 'global'}),
});
html.render();
const doctype = adaptor.doctype(html.document);
fs.writeFileSync(output, (doctype ? doctype + '\n' : '') + adaptor.outerHTML(adaptor.root(html.document)));

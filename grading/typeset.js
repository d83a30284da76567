// Typeset the TeX in HTML pages into inline SVG (with hidden MathML for screen readers), offline.
//   node typeset.js <mathjax-full dir> <in.html> <out.html>    one page
//   node typeset.js <mathjax-full dir> --serve                 JSON lines on stdin: {"html": ...} -> {"html": ...}
// Math delimiters as in Jupyter: $...$ and $$...$$ (and \(...\), \[...\]); <pre> and <code> are left alone.
const path = require('path');
const fs = require('fs');
const readline = require('readline');
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

function typeset(text) {
  const html = mathjax.document(text, {
    InputJax: new TeX({packages: PACKAGES, inlineMath: [['$', '$'], ['\\(', '\\)']],
                       displayMath: [['$$', '$$'], ['\\[', '\\]']], processEscapes: true}),
    OutputJax: new SVG({fontCache: 'global'}),
  });
  html.render();
  const doctype = adaptor.doctype(html.document);
  return (doctype ? doctype + '\n' : '') + adaptor.outerHTML(adaptor.root(html.document));
}

if (input === '--serve') {
  const rl = readline.createInterface({input: process.stdin, crlfDelay: Infinity});
  rl.on('line', (line) => {
    let out;
    try {
      out = {html: typeset(JSON.parse(line).html)};
    } catch (e) {
      out = {error: String(e && e.stack || e)};
    }
    process.stdout.write(JSON.stringify(out) + '\n');
  });
} else {
  fs.writeFileSync(output, typeset(fs.readFileSync(input, 'utf8')));
}

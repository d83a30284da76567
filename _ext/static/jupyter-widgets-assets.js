// Loaded after require.js and before the vendored @jupyter-widgets/html-manager (embed-amd.js).
// Each AMD module in embed-amd.js finds its font files relative to its own module URL, which
// require.js derives from the module id and, by default, the page's folder: every page with widget
// state would then 404 on "<page dir>/@jupyter-widgets/.../*.woff2". Map every id it defines to
// _static/html-manager/, where scripts/vendor.sh put the fonts.
(function () {
  var dir = new URL("html-manager/", document.currentScript.src).href;
  var ids = ["base", "base7", "controls", "controls7", "html-manager", "html-manager/dist/libembed-amd"];
  var paths = {};
  ids.forEach(function (id) { paths["@jupyter-widgets/" + id] = dir + id.split("/").pop(); });
  require.config({ paths: paths });
})();

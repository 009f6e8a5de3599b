(function () {
  var options = JSON.parse(document.getElementById("chart-options").textContent);
  var font = '"WenQuanYi Zen Hei", "Noto Sans CJK SC", sans-serif';
  document.querySelectorAll("[data-chart]").forEach(function (el) {
    var option = options[el.dataset.chart];
    option.textStyle = { fontFamily: font };
    if (option.title) { option.title.textStyle = { fontSize: 14, fontFamily: font }; }
    option.animation = false;
    echarts.init(el).setOption(option);
    el.dataset.drawn = "1";
  });
})();

// Keyboard shortcuts of the console (never while typing in a field):
//   c  claim this ticket      r  write the reply      n  the next waiting ticket      /  search the queue
(function () {
  document.addEventListener("keydown", function (event) {
    var target = event.target;
    if (event.ctrlKey || event.metaKey || event.altKey || /^(INPUT|TEXTAREA|SELECT)$/.test(target.tagName)) {
      return;
    }
    var pick = function (selector) { return document.querySelector(selector); };
    var action = {
      c: function () { var f = pick("form[data-shortcut='claim']"); if (f) { f.submit(); return true; } },
      r: function () { var t = pick("textarea[name=text]"); if (t) { t.focus(); return true; } },
      n: function () { var a = pick("a[data-shortcut='next']"); if (a) { window.location = a.href; return true; } },
      "/": function () { var s = pick("input[name=q]"); if (s) { s.focus(); return true; } }
    }[event.key];
    if (action && action()) { event.preventDefault(); }
  });
})();

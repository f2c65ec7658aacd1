// "hace 3 min" beside each <time data-ago>: the page states the exact time (in the
// election's zone, rendered on the server); this adds how long ago it was, in the
// page's language, computed when the page is read (cached and static pages too).
(function () {
  "use strict";
  var rtf;
  try {
    rtf = new Intl.RelativeTimeFormat(document.documentElement.lang || "es", { numeric: "auto" });
  } catch (e) { return; }
  var now = Date.now();
  var steps = [[60, 1, "second"], [3600, 60, "minute"], [86400, 3600, "hour"], [Infinity, 86400, "day"]];
  Array.prototype.forEach.call(document.querySelectorAll("time[data-ago]"), function (el) {
    var at = Date.parse(el.getAttribute("datetime"));
    if (isNaN(at)) { return; }
    var s = Math.round((at - now) / 1000);
    var step = steps.filter(function (x) { return Math.abs(s) < x[0]; })[0];
    var span = document.createElement("span");
    span.className = "ago";
    span.textContent = " (" + rtf.format(Math.round(s / step[1]), step[2]) + ")";
    el.parentNode.insertBefore(span, el.nextSibling);
  });
})();

// Live character counters and autosave for the self-diagnosis report form.
// Counting mirrors workflows/review/text.py: NFC, every non-whitespace character is one.
(function () {
  var form = document.getElementById("report-form");
  if (!form) return;
  var limits = JSON.parse(form.dataset.limits);
  var t = function (s) { return s; };
  function count(text) {
    return Array.from((text || "").normalize("NFC")).filter(function (c) { return !/\s/u.test(c); }).length;
  }
  function show(el, n, max, extra) {
    el.textContent = n + " / " + max + (extra || "");
    el.classList.toggle("over", n > max);
  }
  function update() {
    form.querySelectorAll("textarea[data-limit]").forEach(function (ta) {
      var out = form.querySelector('.counter[data-for="' + ta.id + '"]');
      if (out) show(out, count(ta.value), limits[ta.dataset.limit]);
    });
    form.querySelectorAll("fieldset[data-row]").forEach(function (fs) {
      var a = count(fs.querySelector('[data-part="achievements"]').value);
      var p = count(fs.querySelector('[data-part="problems"]').value);
      var out = fs.querySelector(".counter[data-opinion]");
      var total = a + p;
      var shareOk = total === 0 || p * limits.share[1] >= total * limits.share[0];
      show(out, total, limits.opinion, " · " + p + (shareOk ? " ✓" : " ✗ < 1/2"));
      if (!shareOk) out.classList.add("over");
    });
  }
  var timer = null;
  var status = form.querySelector(".autosave");
  function autosave() {
    var data = new FormData(form);
    data.delete("action");
    fetch(window.location.href, { method: "POST", body: data, headers: { "X-Autosave": "1" }, credentials: "same-origin" })
      .then(function (r) { status.textContent = r.ok ? t("✓ " + new Date().toLocaleTimeString()) : "✗"; })
      .catch(function () { status.textContent = "✗"; });
  }
  form.addEventListener("input", function () {
    update();
    clearTimeout(timer);
    timer = setTimeout(autosave, 1500);
  });
  update();
})();

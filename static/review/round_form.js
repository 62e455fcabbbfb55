// The new-round form shows the publication deadline that follows from the start date picked
// (REVIEW_DISCLOSURE_DAYS before it, given by the field's data-disclosure-days).
(function () {
  var start = document.querySelector("#round-form input[data-disclosure-days]");
  var out = document.getElementById("disclosure-deadline");
  if (!start || !out) return;
  var days = parseInt(start.dataset.disclosureDays, 10);
  function show() {
    if (!start.value) { out.hidden = true; return; }
    var d = new Date(start.value + "T00:00:00Z");
    d.setUTCDate(d.getUTCDate() - days);
    out.querySelector("strong").textContent = d.toISOString().slice(0, 10);
    out.hidden = false;
  }
  start.addEventListener("input", show);
  show();
})();

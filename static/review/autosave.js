// Autosave for forms marked data-autosave: while the user types, the form is posted to its own
// address with the X-Autosave header (the view keeps it as a draft and answers JSON), so
// nothing typed is lost when the page is left or a save is refused.
(function () {
  var form = document.querySelector("form[data-autosave]");
  if (!form) return;
  var status = form.querySelector(".autosave");
  var timer = null;
  var label = (form.dataset.savedLabel || "") + " ";
  function save() {
    var data = new FormData(form);
    data.delete("action");
    // form.action would be the buttons named "action", not the form's address.
    fetch(form.getAttribute("action") || window.location.href, {
      method: "POST",
      body: data,
      headers: { "X-Autosave": "1" },
      credentials: "same-origin",
    })
      .then(function (r) {
        if (status) status.textContent = r.ok ? label + new Date().toLocaleTimeString() : "✗";
      })
      .catch(function () {
        if (status) status.textContent = "✗";
      });
  }
  function later() {
    clearTimeout(timer);
    timer = setTimeout(save, 1200);
  }
  form.addEventListener("input", later);
  form.addEventListener("change", later);
  window.addEventListener("pagehide", function () {
    if (timer) { clearTimeout(timer); save(); }
  });
})();

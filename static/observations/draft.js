// The observation sheet keeps its draft on the phone (localStorage) while it is filled, so a
// lost connection loses nothing: a submit that cannot reach the server is kept, with its
// photos, and sent again when the browser is back online. The server takes the draft's
// client_key as an idempotency key, so a draft sent twice is saved once.
(function () {
  "use strict";
  var form = document.getElementById("observation-sheet");
  if (!form || !window.localStorage || !window.fetch) return;
  var key = form.dataset.draftKey;
  var status = document.getElementById("draft-status");
  var PHOTO_BUDGET = 3500000; // characters of data URLs localStorage can take on phones
  var sending = false;
  var done = false; // sent and saved: nothing may write the draft back while the page leaves
  // the saved observation's address ("/observations/0/" with any number)
  var savedPath = new RegExp(
    "^" + form.dataset.savedUrl.replace(/[.*+?^${}()|[\]\\]/g, "\\$&").replace("/0/", "/\\d+/") + "$"
  );

  function say(text) {
    status.hidden = !text;
    status.textContent = text || "";
  }

  function load() {
    try { return JSON.parse(localStorage.getItem(key) || "null"); } catch (e) { return null; }
  }

  function store(draft) {
    try { localStorage.setItem(key, JSON.stringify(draft)); return true; } catch (e) { return false; }
  }

  function fields() {
    var out = {};
    Array.prototype.forEach.call(form.elements, function (el) {
      if (!el.name || el.type === "file" || el.name === "csrfmiddlewaretoken") return;
      out[el.name] = el.value;
    });
    return out;
  }

  function saveFields() {
    if (done) return;
    var draft = load() || {};
    draft.fields = fields();
    store(draft);
  }

  function restore(draft) {
    Object.keys(draft.fields || {}).forEach(function (name) {
      var el = form.elements[name];
      if (el && el.type !== "file" && name !== "csrfmiddlewaretoken") el.value = draft.fields[name];
    });
  }

  function readPhotos() {
    var input = form.querySelector("input[type=file]");
    var files = input ? Array.prototype.slice.call(input.files) : [];
    return Promise.all(files.map(function (file) {
      return new Promise(function (resolve) {
        var reader = new FileReader();
        reader.onload = function () { resolve({ name: file.name, data: reader.result }); };
        reader.onerror = function () { resolve(null); };
        reader.readAsDataURL(file);
      });
    })).then(function (photos) { return photos.filter(Boolean); });
  }

  function blobOf(dataUrl) {
    var parts = dataUrl.split(",");
    var mime = parts[0].split(":")[1].split(";")[0];
    var bytes = atob(parts[1]);
    var array = new Uint8Array(bytes.length);
    for (var i = 0; i < bytes.length; i++) array[i] = bytes.charCodeAt(i);
    return new Blob([array], { type: mime });
  }

  function body(draft) {
    var data = new FormData();
    var token = form.elements.csrfmiddlewaretoken;
    if (token) data.append("csrfmiddlewaretoken", token.value);
    Object.keys(draft.fields).forEach(function (name) { data.append(name, draft.fields[name]); });
    (draft.photos || []).forEach(function (p) { data.append("photos", blobOf(p.data), p.name); });
    return data;
  }

  function showErrors(errors) {
    form.querySelectorAll(".errorlist.js").forEach(function (ul) { ul.remove(); });
    Object.keys(errors || {}).forEach(function (name) {
      var el = form.elements[name];
      var ul = document.createElement("ul");
      ul.className = "errorlist js";
      errors[name].forEach(function (m) {
        var li = document.createElement("li");
        li.textContent = m;
        ul.appendChild(li);
      });
      if (el && el.parentNode) el.parentNode.insertBefore(ul, el.nextSibling);
      else form.insertBefore(ul, form.firstChild);
    });
  }

  function finish(url) {
    done = true;
    localStorage.removeItem(key);
    window.location.assign(url);
  }

  function keepPending(draft) {
    var kept = load() || draft;
    kept.pending = true;
    store(kept);
  }

  function send(draft) {
    if (sending) return;
    sending = true;
    say(form.dataset.sending);
    fetch(form.getAttribute("action") || window.location.href, {
      method: "POST",
      body: body(draft),
      headers: { Accept: "application/json" },
      credentials: "same-origin",
    }).then(function (response) {
      var type = response.headers.get("Content-Type") || "";
      if (type.indexOf("application/json") === -1) {
        // A page came back instead of the JSON answer: the server's redirect to the saved
        // observation (followed by fetch when something on the way dropped the Accept
        // header), or another page (signed out). Saved: go there. Otherwise the draft stays
        // pending and is sent again from the sheet.
        sending = false;
        if (response.ok && savedPath.test(new URL(response.url).pathname)) {
          finish(response.url);
          return;
        }
        keepPending(draft);
        if (response.redirected) window.location.assign(response.url);
        else say(form.dataset.notTaken);
        return;
      }
      return response.json().then(function (answer) {
        sending = false;
        if (response.ok) {
          finish(answer.url);
          return;
        }
        var kept = load() || draft;
        kept.pending = false;
        store(kept);
        say(answer.message);
        showErrors(answer.errors);
      });
    }).catch(function () {
      // no answer: the server may or may not have it; the key makes a resend safe
      sending = false;
      keepPending(draft);
      say(form.dataset.offline);
    });
  }

  form.addEventListener("input", saveFields);
  form.addEventListener("change", saveFields);
  form.addEventListener("submit", function (event) {
    event.preventDefault();
    readPhotos().then(function (photos) {
      var draft = { fields: fields(), photos: photos, pending: true };
      var size = photos.reduce(function (n, p) { return n + p.data.length; }, 0);
      if (size > PHOTO_BUDGET || !store(draft)) {
        draft.photos = [];
        store({ fields: draft.fields, photos: [], pending: true });
        if (photos.length && !navigator.onLine) say(form.dataset.photosDropped);
        draft.photos = photos; // still sent now if the connection holds
      }
      if (!navigator.onLine) {
        say(form.dataset.offline);
        return;
      }
      send(draft);
    });
  });
  window.addEventListener("online", function () {
    var draft = load();
    if (draft && draft.pending) send(draft);
  });

  var draft = load();
  if (draft && draft.fields) {
    restore(draft);
    if (draft.pending && navigator.onLine) send(draft);
    else say(draft.pending ? form.dataset.offline : form.dataset.restored);
  }
})();

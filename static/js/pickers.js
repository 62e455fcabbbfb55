/* Searchable pickers for the selects accounts.widgets marks with data-picker (unit / person).
   Without this script (or without Tom Select) they stay plain selects that still submit. A unit's
   label starts with one full-width space per tree level below the college: the script turns that
   into an indent, and while the user types it shows each match with its ancestors instead. */
(function () {
  "use strict";
  if (!window.TomSelect) return;
  var INDENT = "\u3000";

  function depthOf(text) {
    var depth = 0;
    while (text.charAt(depth) === INDENT) depth += 1;
    return depth;
  }

  function enhance(select) {
    if (select.tomselect) return;
    var unit = select.dataset.picker === "unit";
    // Tom Select reads each option's text and data- attributes: keep the depth apart from the name.
    Array.prototype.forEach.call(select.options, function (option) {
      var depth = depthOf(option.text);
      if (depth) {
        option.dataset.depth = depth;
        option.text = option.text.slice(depth);
      }
    });
    var settings = {
      maxOptions: null,
      // the options are all on the page: filter as the user types, not 300 ms later
      refreshThrottle: 0,
      closeAfterSelect: !select.multiple,
      // picking several: each search starts afresh
      clearAfterSelect: true,
      allowEmptyOption: !select.multiple && !select.required,
      searchField: unit ? ["text", "trail"] : ["text"],
      plugins: select.multiple ? ["remove_button"] : [],
      onType: function (query) { this.dropdown.classList.toggle("searching", !!query); },
      onDropdownClose: function () { this.dropdown.classList.remove("searching"); },
      render: {
        option: function (data, escape) {
          var trail = data.trail ? '<small class="trail">' + escape(data.trail) + "</small>" : "";
          return '<div class="picker-option" style="--depth:' + (data.depth || 0) + '">' +
            "<span>" + escape(data.text) + "</span>" + trail + "</div>";
        },
        no_results: function () {
          return '<div class="no-results">' + (select.dataset.noResults || "—") + "</div>";
        }
      }
    };
    new window.TomSelect(select, settings);
  }

  function enhanceAll(root) {
    (root || document).querySelectorAll("select[data-picker]").forEach(enhance);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", function () { enhanceAll(); });
  } else {
    enhanceAll();
  }
})();

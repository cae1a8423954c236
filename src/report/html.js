// evalgate's HTML report: filtering by suite, tag, verdict and text (see src/report/html.rs).
// The page's Content-Security-Policy names this script's hash: change it, change the hash.
(function () {
  "use strict";
  var root = document.documentElement;
  var errors = [];

  // Errors go into the page, where a reader (and the headless browser test) can see them.
  function report(message) {
    errors.push(message);
    root.setAttribute("data-errors", String(errors.length));
    var box = document.getElementById("js-errors");
    if (box) {
      box.hidden = false;
      box.textContent = "Script errors:\n" + errors.join("\n");
    }
  }
  window.addEventListener("error", function (event) {
    report(String(event.message));
  });

  function main() {
    var data = JSON.parse(document.getElementById("evalgate-data").textContent);
    var form = document.getElementById("filters");
    var controls = form.elements;
    var boxes = form.querySelectorAll("input[name=verdict]");
    var cases = document.querySelectorAll(".case");
    var suites = document.querySelectorAll("section.suite");
    var groups = document.querySelectorAll(".filter-group");
    var status = document.getElementById("filter-status");
    var rows = document.querySelectorAll("tr.case").length;

    // #suite=NAME&tag=TAG&verdict=fail,error&q=TEXT preselects the filter.
    var params = new URLSearchParams(location.hash.slice(1));
    var suite = data.suites.indexOf(params.get("suite"));
    if (suite >= 0) controls.suite.value = String(suite);
    var tag = data.tags.indexOf(params.get("tag"));
    if (tag >= 0) controls.tag.value = String(tag);
    if (params.has("verdict")) {
      var wanted = params.get("verdict").split(",");
      boxes.forEach(function (box) {
        box.checked = wanted.indexOf(box.value) >= 0;
      });
    }
    if (params.has("q")) controls.q.value = params.get("q");

    function apply(remember) {
      var s = controls.suite.value;
      var t = controls.tag.value;
      var q = controls.q.value.trim().toLowerCase();
      var verdicts = {};
      var checked = [];
      boxes.forEach(function (box) {
        if (box.checked) {
          verdicts[box.value] = true;
          checked.push(box.value);
        }
      });
      var shown = 0;
      cases.forEach(function (item) {
        var visible =
          (s === "" || item.getAttribute("data-s") === s) &&
          (t === "" || (" " + item.getAttribute("data-t") + " ").indexOf(" " + t + " ") >= 0) &&
          verdicts[item.getAttribute("data-v")] === true &&
          (q === "" || item.textContent.toLowerCase().indexOf(q) >= 0);
        item.hidden = !visible;
        if (visible && item.tagName === "TR") shown += 1;
      });
      suites.forEach(function (section) {
        section.hidden = s !== "" && section.getAttribute("data-s") !== s;
      });
      groups.forEach(function (group) {
        group.hidden = group.querySelector(".case:not([hidden])") === null;
      });
      status.textContent = shown === rows ? "all " + rows + " cases shown" : shown + " of " + rows + " cases shown";
      root.setAttribute("data-shown", String(shown));
      if (remember) {
        var hash = new URLSearchParams();
        if (s !== "") hash.set("suite", data.suites[Number(s)]);
        if (t !== "") hash.set("tag", data.tags[Number(t)]);
        if (checked.length < boxes.length) hash.set("verdict", checked.join(","));
        if (q !== "") hash.set("q", q);
        var text = hash.toString();
        try {
          history.replaceState(null, "", text === "" ? location.pathname : "#" + text);
        } catch (ignored) {
          // Some browsers refuse history changes on file:// pages; the filter still works.
        }
      }
    }

    form.addEventListener("input", function () {
      apply(true);
    });
    form.addEventListener("change", function () {
      apply(true);
    });
    form.addEventListener("submit", function (event) {
      event.preventDefault();
    });
    form.addEventListener("reset", function () {
      // The form resets its controls after this event.
      setTimeout(function () {
        apply(true);
      }, 0);
    });
    form.querySelector("fieldset").disabled = false;
    apply(false);
  }

  try {
    main();
    root.setAttribute("data-ready", "1");
  } catch (error) {
    report(String((error && error.stack) || error));
  }
})();

/* Homepost dev server client: reloads the page after every successful build, and shows a failed
   build's problems over the page. Added to HTML responses by `homepost serve` only; it is never
   written into the built site. Events come from /__homepost/events:
     hello        {build, problems}  on (re)connecting: reload if the page is from an older build
     reload       {build, pages}     a build succeeded; reload if pages is null or lists this page
     build-error  {problems}         a build failed; the last good build is still being served  */
(function () {
  "use strict";
  var script = document.currentScript;
  var build = script ? script.getAttribute("data-build") : null;
  var overlay = null;
  var focusBefore = null;

  function node(tag, style, text) {
    var element = document.createElement(tag);
    element.setAttribute("style", style);
    if (text) element.textContent = text;
    return element;
  }

  function hide() {
    if (!overlay) return;
    overlay.remove();
    overlay = null;
    document.removeEventListener("keydown", onKey);
    if (focusBefore && document.contains(focusBefore)) focusBefore.focus();
  }

  function onKey(event) {
    if (event.key === "Escape") hide();
  }

  function show(problems) {
    if (overlay) {
      overlay.remove();
    } else {
      focusBefore = document.activeElement;
      document.addEventListener("keydown", onKey);
    }
    var font = "font:15px/1.5 ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;";
    overlay = node("div",
      "position:fixed;top:0;left:0;right:0;z-index:2147483647;max-height:85vh;overflow:auto;" +
      "box-sizing:border-box;margin:0;padding:1rem 1.25rem;background:#1d1f23;color:#f4f4f1;" +
      "border-bottom:4px solid #ff8a80;box-shadow:0 4px 24px rgba(0,0,0,.5);text-align:left;" + font);
    overlay.id = "homepost-build-error";
    overlay.setAttribute("role", "alertdialog");
    overlay.setAttribute("aria-labelledby", "homepost-build-error-title");
    overlay.setAttribute("aria-describedby", "homepost-build-error-list");

    var title = node("p", "margin:0 0 .5rem;color:#ff8a80;font-weight:700;font-size:1.1em;",
      problems.length === 1 ? "Build failed: 1 problem" : "Build failed: " + problems.length + " problems");
    title.id = "homepost-build-error-title";
    overlay.appendChild(title);

    var list = node("ul", "margin:0;padding:0;list-style:none;");
    list.id = "homepost-build-error-list";
    problems.forEach(function (problem) {
      var item = node("li", "margin:0 0 .5rem;padding:0;");
      item.appendChild(node("pre", "margin:0;padding:0;border:0;box-shadow:none;white-space:pre-wrap;overflow-wrap:anywhere;" +
        "color:inherit;background:none;" + font,
        problem.text));
      list.appendChild(item);
    });
    overlay.appendChild(list);

    overlay.appendChild(node("p", "margin:.75rem 0;color:#c9cbc6;",
      "This page is from the last good build. Fix the file and save: the site rebuilds and this page reloads."));

    var dismiss = node("button", "padding:.35rem .9rem;border:1px solid #f4f4f1;border-radius:4px;background:#f4f4f1;" +
      "color:#1d1f23;cursor:pointer;" + font, "Dismiss");
    dismiss.type = "button";
    dismiss.addEventListener("click", hide);
    overlay.appendChild(dismiss);

    document.body.appendChild(overlay);
    dismiss.focus({ preventScroll: true });
  }

  if (typeof EventSource === "undefined") return;
  var events = new EventSource("/__homepost/events");
  events.addEventListener("hello", function (event) {
    var state = JSON.parse(event.data);
    if (build !== null && state.build !== build) {
      location.reload();
    } else if (state.problems.length) {
      show(state.problems);
    } else {
      hide();
    }
  });
  function here() {
    var path = location.pathname;
    try {
      path = decodeURIComponent(path);
    } catch (error) {
      // not percent-encoded UTF-8: compare it as it is
    }
    return path.charAt(path.length - 1) === "/" ? path + "index.html" : path;
  }

  events.addEventListener("reload", function (event) {
    var news = JSON.parse(event.data);
    // An error page (no build yet) or a page showing a failed build's problems always reloads.
    if (!news.pages || !build || overlay || news.pages.indexOf(here()) >= 0) {
      location.reload();
    } else {
      build = news.build;  // this page is the same in the new build
    }
  });
  events.addEventListener("build-error", function (event) {
    show(JSON.parse(event.data).problems);
  });
})();

// Reading aids of the default theme, added over pages that work without them:
// a copy button on each code block, and the search page's search of search/index.json.
// Loaded with `defer` from a file of the site (no inline script, so a strict CSP allows it).
(function () {
  "use strict";
  var script = document.currentScript;
  var strings = script ? script.dataset : {};

  function copyText(text) {
    if (navigator.clipboard && window.isSecureContext) {
      return navigator.clipboard.writeText(text);
    }
    return new Promise(function (resolve, reject) {
      // The fallback for pages served over plain http: a selected, hidden text area.
      var area = document.createElement("textarea");
      area.value = text;
      area.setAttribute("readonly", "");
      area.style.position = "fixed";
      area.style.opacity = "0";
      document.body.appendChild(area);
      area.select();
      var done = false;
      try {
        done = document.execCommand("copy");
      } catch (error) {
        done = false;
      }
      document.body.removeChild(area);
      if (done) resolve();
      else reject(new Error("copy refused"));
    });
  }

  function addCopyButtons() {
    var blocks = document.querySelectorAll(".post-content pre, .page-content pre");
    Array.prototype.forEach.call(blocks, function (pre) {
      var holder = pre.parentElement && pre.parentElement.classList.contains("highlight") ? pre.parentElement : pre;
      if (holder.querySelector(".copy-code")) return;
      var button = document.createElement("button");
      button.type = "button";
      button.className = "copy-code";
      button.textContent = strings.copy || "Copy";
      button.setAttribute("aria-label", strings.copyLabel || "Copy the code to the clipboard");
      var timer = 0;
      button.addEventListener("click", function () {
        var code = pre.querySelector("code") || pre;
        copyText(code.innerText.replace(/\n$/, "")).then(
          function () { show(strings.copied || "Copied", "copied"); },
          function () { show(strings.copyFailed || "Press Ctrl+C to copy", "failed"); }
        );
      });
      function show(text, state) {
        button.textContent = text;
        button.setAttribute("aria-label", text);
        button.dataset.state = state;
        clearTimeout(timer);
        timer = setTimeout(function () {
          button.textContent = strings.copy || "Copy";
          button.setAttribute("aria-label", strings.copyLabel || "Copy the code to the clipboard");
          delete button.dataset.state;
        }, 2000);
      }
      holder.classList.add("has-copy");
      holder.appendChild(button);
    });
  }

  // Search: every word of the query (or the whole query, in scripts without spaces such as
  // Chinese) must be a substring of the title, the tags or the text; no word splitting of the text.
  function setUpSearch() {
    var form = document.querySelector("form.search-form[data-index]");
    if (!form) return;
    var input = form.querySelector("input[type=search]");
    var results = document.querySelector(".search-results");
    Array.prototype.forEach.call(form.querySelectorAll("input[type=hidden], .search-engine, .search-fallback"), function (el) {
      el.remove();
    });
    var hint = form.querySelector(".search-hint");
    if (hint) hint.hidden = false;
    var posts = null;
    var loading = null;

    function load() {
      if (!loading) {
        loading = fetch(form.dataset.index)
          .then(function (response) { return response.json(); })
          .then(function (data) {
            posts = data.posts.map(function (post) {
              post.haystack = [post.t, post.g.join(" "), post.x].join("\n").toLocaleLowerCase();
              return post;
            });
          });
      }
      return loading;
    }

    function render(query) {
      results.textContent = "";
      var words = query.toLocaleLowerCase().split(/\s+/).filter(Boolean);
      if (!words.length) return;
      var found = posts.filter(function (post) {
        return words.every(function (word) { return post.haystack.indexOf(word) !== -1; });
      });
      var count = document.createElement("p");
      count.className = "search-count";
      count.textContent = found.length === 0 ? form.dataset.none
        : found.length === 1 ? form.dataset.resultsOne : form.dataset.results.replace("{n}", found.length);
      results.appendChild(count);
      if (!found.length) return;
      var list = document.createElement("ol");
      list.className = "search-list";
      found.slice(0, 50).forEach(function (post) {
        var item = document.createElement("li");
        var link = document.createElement("a");
        link.href = post.u;
        link.textContent = post.t || post.x.slice(0, 60) || post.d;
        item.appendChild(link);
        if (post.d) {
          var date = document.createElement("time");
          date.dateTime = post.d;
          date.textContent = " " + post.d;
          date.className = "search-date";
          item.appendChild(date);
        }
        if (post.t && post.x) {
          var text = document.createElement("p");
          text.textContent = post.x;
          item.appendChild(text);
        }
        list.appendChild(item);
      });
      results.appendChild(list);
    }

    function search() {
      var query = input.value.trim();
      load().then(function () { render(query); });
    }

    form.addEventListener("submit", function (event) {
      event.preventDefault();
      search();
    });
    input.addEventListener("input", search);
    var asked = new URLSearchParams(window.location.search).get("q");
    if (asked) {
      input.value = asked;
      search();
    }
  }

  addCopyButtons();
  setUpSearch();
})();

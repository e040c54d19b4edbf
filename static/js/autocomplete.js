// Search boxes (campaign/widgets.py Autocomplete: units, standards): type part of a name, pick
// one of the choices in your scope. The chosen id goes in a hidden input, which fires "change"
// so htmx filter forms refresh as they do for a drop-down. Delegated listeners: boxes swapped
// in by htmx work without setting up again.
(function () {
  "use strict";
  var timers = new WeakMap();
  // Each box's newest search: an answer to an older one, or one that comes back after a
  // choice, is dropped (on a slow connection it redrew the list under the person's tap).
  var searches = new WeakMap();

  // Drops the box's waiting and unanswered searches.
  function forget(box) {
    clearTimeout(timers.get(box));
    searches.set(box, (searches.get(box) || 0) + 1);
  }

  function parts(box) {
    return {
      value: box.querySelector('[data-role="value"]'),
      text: box.querySelector('[data-role="text"]'),
      list: box.querySelector('[data-role="list"]'),
    };
  }

  function close(box) {
    var p = parts(box);
    p.list.classList.add("d-none");
    p.text.setAttribute("aria-expanded", "false");
  }

  function choose(box, id, name) {
    var p = parts(box);
    forget(box);
    p.text.value = name;
    close(box);
    if (p.value.value !== id) {
      p.value.value = id;
      p.value.dispatchEvent(new Event("change", { bubbles: true }));
    }
  }

  function show(box, results) {
    var p = parts(box);
    p.list.replaceChildren();
    if (!results.length) {
      var none = document.createElement("div");
      none.className = "list-group-item small text-body-secondary";
      none.textContent = box.dataset.empty;
      p.list.appendChild(none);
    }
    results.forEach(function (choice) {
      var item = document.createElement("button");
      item.type = "button";
      item.className = "list-group-item list-group-item-action py-2";
      item.setAttribute("role", "option");
      item.dataset.id = choice.id;
      item.dataset.name = choice.text;
      item.textContent = choice.text;
      if (choice.kind) {
        var kind = document.createElement("small");
        kind.className = "text-body-secondary";
        kind.textContent = " " + choice.kind;
        item.appendChild(kind);
      }
      p.list.appendChild(item);
    });
    p.list.classList.remove("d-none");
    p.text.setAttribute("aria-expanded", "true");
  }

  function search(box) {
    var p = parts(box);
    forget(box);
    var asked = searches.get(box);
    var url = new URL(box.dataset.url, window.location.href);
    url.searchParams.set("q", p.text.value.trim());
    fetch(url, { headers: { Accept: "application/json" }, credentials: "same-origin" })
      // Redirected: the session has ended and this is the sign-in page; no choices then.
      .then(function (response) { return response.ok && !response.redirected ? response.json() : { results: [] }; })
      .then(function (data) { if (searches.get(box) === asked) show(box, data.results); });
  }

  document.addEventListener("input", function (event) {
    var box = event.target.closest("[data-autocomplete]");
    if (!box || event.target.dataset.role !== "text") return;
    if (!event.target.value.trim()) choose(box, "", "");
    forget(box);
    timers.set(box, setTimeout(function () { search(box); }, 200));
  });

  document.addEventListener("focusin", function (event) {
    var box = event.target.closest("[data-autocomplete]");
    if (box && event.target.dataset.role === "text") search(box);
  });

  document.addEventListener("click", function (event) {
    var option = event.target.closest("[data-autocomplete] [role=option]");
    if (option) {
      choose(option.closest("[data-autocomplete]"), option.dataset.id, option.dataset.name);
      return;
    }
    document.querySelectorAll("[data-autocomplete]").forEach(function (box) {
      if (!box.contains(event.target)) close(box);
    });
  });

  document.addEventListener("keydown", function (event) {
    var box = event.target.closest("[data-autocomplete]");
    if (!box) return;
    var options = Array.prototype.slice.call(box.querySelectorAll("[role=option]"));
    var at = options.indexOf(document.activeElement);
    if (event.key === "ArrowDown" && options.length) {
      event.preventDefault();
      options[Math.min(at + 1, options.length - 1)].focus();
    } else if (event.key === "ArrowUp" && at >= 0) {
      event.preventDefault();
      (at === 0 ? parts(box).text : options[at - 1]).focus();
    } else if (event.key === "Escape") {
      close(box);
      parts(box).text.focus();
    } else if (event.key === "Enter" && event.target.dataset.role === "text" && options.length) {
      // Enter in the box takes the first match instead of submitting a half-typed name.
      event.preventDefault();
      choose(box, options[0].dataset.id, options[0].dataset.name);
    }
  });
})();

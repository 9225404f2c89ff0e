package main

// indexHTML is the page served at /. It has no external resources: the inline
// script fills #app from /api/items, so a browser test sees rendered data, and
// the form creates an item through the API. When the list is rendered,
// body[data-ready] is "true" and #status tells how many items were loaded.
const indexHTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>recipe-test example</title>
<style>
body { font-family: sans-serif; margin: 2em; }
#items li { margin: 0.2em 0; }
</style>
</head>
<body data-ready="false">
<div id="app">Loading…</div>
<form id="new-item">
  <input id="item-name" name="name" placeholder="name" required>
  <input id="item-value" name="value" placeholder="value">
  <button id="add-item" type="submit">Add item</button>
</form>
<script>
(function () {
  var app = document.getElementById("app");

  function render(items) {
    app.textContent = "";
    var h1 = document.createElement("h1");
    h1.id = "greeting";
    h1.textContent = "Hello from recipe-test";
    app.appendChild(h1);
    var ul = document.createElement("ul");
    ul.id = "items";
    items.forEach(function (it) {
      var li = document.createElement("li");
      li.className = "item";
      li.setAttribute("data-id", it.id);
      li.textContent = it.name + ": " + it.value;
      ul.appendChild(li);
    });
    app.appendChild(ul);
    var status = document.createElement("p");
    status.id = "status";
    status.textContent = "loaded " + items.length + " item(s)";
    app.appendChild(status);
    document.body.setAttribute("data-ready", "true");
  }

  function fail(err) {
    app.textContent = "Hello from recipe-test (error: " + err + ")";
    document.body.setAttribute("data-ready", "error");
  }

  function load() {
    return fetch("/api/items")
      .then(function (r) {
        if (!r.ok) { throw new Error("GET /api/items: " + r.status); }
        return r.json();
      })
      .then(render, fail);
  }

  document.getElementById("new-item").addEventListener("submit", function (ev) {
    ev.preventDefault();
    document.body.setAttribute("data-ready", "false");
    fetch("/api/items", {
      method: "POST",
      headers: {"Content-Type": "application/json"},
      body: JSON.stringify({
        name: document.getElementById("item-name").value,
        value: document.getElementById("item-value").value
      })
    }).then(function (r) {
      if (r.status !== 201) { throw new Error("POST /api/items: " + r.status); }
      ev.target.reset();
      return load();
    }).catch(fail);
  });

  load();
})();
</script>
</body>
</html>
`

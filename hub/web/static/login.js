// The login form: posts JSON to /login (the hub refuses form-encoded changes), then goes on
// to the page that sent the user here, if it is one of this hub's own.
"use strict";

(() => {
  const form = document.getElementById("login");
  const status = document.getElementById("login-status");

  function next() {
    const wanted = new URLSearchParams(location.search).get("next") || "/";
    return wanted.startsWith("/") && !wanted.startsWith("//") && !wanted.startsWith("/\\") ? wanted : "/";
  }

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    status.textContent = "Checking…";
    const body = JSON.stringify({
      user: document.getElementById("user").value,
      password: document.getElementById("password").value,
    });
    try {
      const response = await fetch("/login", {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body,
        credentials: "same-origin",
      });
      if (response.ok) {
        location.assign(next());
        return;
      }
      status.textContent = (await response.text()).trim();
    } catch (err) {
      status.textContent = "The hub did not answer: " + err.message;
    }
  });
})();

// The page header's "Log out" button (only shown to a logged-in user).
"use strict";

(() => {
  const button = document.getElementById("logout");
  if (!button) return;
  button.addEventListener("click", async () => {
    await fetch("/logout", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: "{}",
      credentials: "same-origin",
    });
    location.assign("/login");
  });
})();

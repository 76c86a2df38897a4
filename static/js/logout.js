// Logging out forgets the distribution lists kept on this phone for offline use
// (pickup_points/offline.py): households' names and what they owe must not stay on a
// shared phone. The form is sent once the copies are deleted (or after a second at most).
(function () {
  "use strict";
  function forget() {
    const steps = [];
    if ("caches" in window) {
      steps.push(
        caches.keys().then((keys) =>
          Promise.all(
            keys.filter((key) => key.startsWith("foodhub-")).map((key) => caches.delete(key))
          )
        )
      );
    }
    if ("indexedDB" in window) {
      steps.push(
        new Promise((resolve) => {
          const request = indexedDB.deleteDatabase("foodhub-distribution");
          request.onsuccess = request.onerror = request.onblocked = () => resolve();
        })
      );
    }
    const timeout = new Promise((resolve) => setTimeout(resolve, 1000));
    return Promise.race([Promise.all(steps).catch(() => null), timeout]);
  }
  document.addEventListener("submit", (event) => {
    const form = event.target;
    if (!form.matches("form[data-forget-offline]") || form.dataset.forgotten) return;
    event.preventDefault();
    forget().then(() => {
      form.dataset.forgotten = "1";
      form.submit();
    });
  });
})();

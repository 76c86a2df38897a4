// The weighing page: after a weight is saved with Enter, the next line's field is ready;
// a weight far from the estimate puts the focus on its "Confirm" button, an error on its
// field. (Tab moves on by itself: the saved row is swapped without taking the focus.)
document.addEventListener("htmx:afterSwap", (event) => {
  const row = document.getElementById(event.detail.target.id);
  if (!row || !row.classList.contains("weigh-row")) return;
  if (document.activeElement && document.activeElement !== document.body) return;
  if (row.classList.contains("needs-confirmation")) {
    row.querySelector(".weigh-confirm").focus();
  } else if (row.classList.contains("has-error")) {
    row.querySelector("input[name=weight]").focus();
  } else {
    const fields = [...document.querySelectorAll(".weigh-row input[name=weight]")];
    const next = fields[fields.indexOf(row.querySelector("input[name=weight]")) + 1];
    if (next) next.focus();
  }
});

// The weighing page: after a weight is saved with Enter, the next line's field is ready;
// a weight far from the estimate puts the focus on its "Confirm" button, an error on its
// field. (Tab moves on by itself: the saved row is swapped without taking the focus; htmx
// gives the focus back to the same field of the row it swapped, which is left here.)
document.addEventListener("htmx:afterSettle", (event) => {
  const row = document.getElementById(event.detail.target.id);
  if (!row || !row.classList.contains("weigh-row")) return;
  const focused = document.activeElement;
  if (focused && focused !== document.body && !row.contains(focused)) return;
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

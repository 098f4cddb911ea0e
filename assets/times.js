// Shows exact times in the reader's own locale and time zone on hover; the
// page reads fine without it (relative times and UTC are server-rendered).
document.querySelectorAll("time[datetime]").forEach(function (t) {
  var d = new Date(t.getAttribute("datetime"));
  if (!isNaN(d)) t.title = d.toLocaleString(navigator.languages || navigator.language);
});

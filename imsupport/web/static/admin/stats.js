// The statistics page's charts (/admin/stats), drawn with the vendored
// Chart.js (/static/vendor/chart.umd.min.js) from /admin/stats.json: the
// same figures as the tables beside them, which stay the page's text.
"use strict";

(function () {
  const box = document.getElementById("charts");
  if (!box || !window.Chart || !window.fetch) {
    return;
  }
  const BLUE = "#0b5cad";
  const RED = "#b3261e";
  const GREEN = "#1a7f37";

  function label(iso, step) {
    // "2027-01-15" for days and weeks, "01-15 14:00" for hours (UTC)
    return step < 86400 ? `${iso.slice(5, 10)} ${iso.slice(11, 16)}` : iso.slice(0, 10);
  }

  function chart(id, config) {
    const canvas = document.getElementById(id);
    if (canvas) {
      return new window.Chart(canvas, config);
    }
    return null;
  }

  function draw(data) {
    const labels = data.series.map((s) => label(s.from, data.step));
    const options = {
      responsive: true, maintainAspectRatio: false, animation: false,
      scales: { y: { beginAtZero: true, ticks: { precision: 0 } } },
    };
    chart("chart-chats", {
      type: "bar",
      data: {
        labels,
        datasets: [
          { label: "Chats", data: data.series.map((s) => s.chats), backgroundColor: BLUE },
          { label: "Abandoned", data: data.series.map((s) => s.abandoned), backgroundColor: RED },
        ],
      },
      options,
    });
    chart("chart-waits", {
      type: "line",
      data: {
        labels,
        datasets: [
          { label: "Queue wait p90 (s)", data: data.series.map((s) => s.queue_wait_p90),
            borderColor: RED, backgroundColor: RED, spanGaps: true },
          { label: "First response p90 (s)", data: data.series.map((s) => s.first_response_p90),
            borderColor: GREEN, backgroundColor: GREEN, spanGaps: true },
        ],
      },
      options,
    });
    chart("chart-nodes", {
      type: "bar",
      data: {
        labels: data.nodes.map((n) => n.node),
        datasets: [
          { label: "Chats", data: data.nodes.map((n) => n.chats), backgroundColor: BLUE },
          { label: "Abandoned", data: data.nodes.map((n) => n.abandoned), backgroundColor: RED },
        ],
      },
      options,
    });
  }

  fetch(box.dataset.src, { credentials: "same-origin", headers: { Accept: "application/json" } })
    .then((response) => {
      if (!response.ok) {
        throw new Error(`the figures could not be loaded (${response.status})`);
      }
      return response.json();
    })
    .then(draw)
    .catch((error) => {
      const p = document.createElement("p");
      p.className = "error";
      p.textContent = `Charts: ${error.message}`;
      box.append(p);
    });
})();

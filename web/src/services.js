// Which services `tradefast run` has down, from the dashboard server's /services.json (empty when
// the page is served without `tradefast run`).

// The line the header shows, or null when every service is up.
export function downLine(status) {
  const down = (status.services || []).filter((service) => !service.up);
  if (down.length === 0) return null;
  const parts = down.map((service) => {
    const exit = service.exitCode === null || service.exitCode === undefined ? "" : `, exit ${service.exitCode}`;
    return `${service.name} down${exit}, restarts ${service.restarts}`;
  });
  return parts.join(" · ");
}

// Poll every `intervalMs`; `show(line)` gets the line (null: hide it).
export function watchServices(show, intervalMs = 2000) {
  async function poll() {
    try {
      const response = await fetch("services.json", { cache: "no-store" });
      show(downLine(await response.json()));
    } catch {
      show(null); // the dashboard server itself is gone: the connection badge says enough
    }
  }
  poll();
  return setInterval(poll, intervalMs);
}

// A blotter written against the original system's WebSocket contract and nothing else: it asks
// for no sub-protocol, and every binary frame is one Inquiry, decoded with protobuf.js from
// inquiry.proto (fields 1-11). The gateway's address comes from ?gateway=, else the original's
// port on this page's host.
"use strict";

const MAX_ROWS = 50;
const COLUMNS = 8;
const gateway = new URLSearchParams(location.search).get("gateway")
  || `ws://${location.hostname}:8080/ws/inquiries`;
const stats = { frames: 0, undecodable: 0 };
window.feedStats = stats;

const rows = new Map();
const body = document.querySelector("#inquiries tbody");

function rowFor(id) {
  let row = rows.get(id);
  if (row === undefined) {
    row = document.createElement("tr");
    for (let i = 0; i < COLUMNS; i += 1) row.appendChild(document.createElement("td"));
    rows.set(id, row);
    if (body.children.length >= MAX_ROWS) {
      const oldest = body.lastElementChild;
      rows.delete(oldest.dataset.id);
      oldest.remove();
    }
    row.dataset.id = id;
  }
  if (body.firstElementChild !== row) body.prepend(row);
  return row;
}

function show(inquiry) {
  const row = rowFor(String(inquiry.inquiryId));
  const cells = row.children;
  const position = inquiry.position / 100;
  row.className = inquiry.status.toLowerCase();
  cells[0].textContent = String(inquiry.inquiryId);
  cells[1].textContent = inquiry.instrumentId;
  cells[2].textContent = inquiry.bookId;
  cells[3].textContent = String(inquiry.quantity);
  cells[4].textContent = (inquiry.price / 100).toFixed(2);
  cells[5].textContent = inquiry.side;
  cells[5].className = inquiry.side.toLowerCase();
  cells[6].textContent = inquiry.status;
  cells[7].textContent = Math.abs(position).toFixed(2);
  cells[7].className = position > 0 ? "long" : position < 0 ? "short" : "";
}

function connect(Inquiry) {
  const socket = new WebSocket(gateway);
  socket.binaryType = "arraybuffer";
  socket.onopen = () => { document.getElementById("state").textContent = "live"; };
  socket.onclose = (event) => {
    document.getElementById("state").textContent = `closed ${event.code}`;
  };
  socket.onmessage = (event) => {
    stats.frames += 1;
    document.getElementById("frames").textContent = String(stats.frames);
    let inquiry;
    try {
      inquiry = Inquiry.toObject(Inquiry.decode(new Uint8Array(event.data)), {
        longs: Number, enums: String, defaults: true,
      });
    } catch (error) {
      stats.undecodable += 1;
      console.error("undecodable frame", error);
      return;
    }
    show(inquiry);
  };
}

protobuf.load("inquiry.proto")
  .then((root) => connect(root.lookupType("original.Inquiry")))
  .catch((error) => console.error("cannot load inquiry.proto", error));

// Placeholder until the hub lands: serves the built web demo (or a note) on :8080.
import { createServer } from 'node:http';
const port = Number(process.env.PORT ?? 8080);
createServer((_req, res) => {
  res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
  res.end('<!doctype html><title>Stage</title><h1>Stage hub</h1><p>The hub is being built.</p>');
}).listen(port, '127.0.0.1', () => console.log(JSON.stringify({ level: 'info', msg: 'listening', url: `http://localhost:${port}` })));

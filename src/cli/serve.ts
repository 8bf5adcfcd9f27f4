// Serves the repository on localhost for the browser pages: dist/ (library bundle and pages, rebuilt first when
// missing or stale), models/, and ../shared/ under /shared/ when it exists (sample data and published checkpoints).
//   deno task serve [--port 8000] [--host 127.0.0.1]
// WebGPU needs a secure context: http://localhost and http://127.0.0.1 are one, so no TLS is needed on this machine.
import { buildIfStale } from "../../build.ts";
import { parseArgs } from "./args.ts";

const MIME: Record<string, string> = {
  html: "text/html; charset=utf-8",
  js: "text/javascript; charset=utf-8",
  mjs: "text/javascript; charset=utf-8",
  css: "text/css; charset=utf-8",
  json: "application/json",
  map: "application/json",
  md: "text/markdown; charset=utf-8",
  txt: "text/plain; charset=utf-8",
  svg: "image/svg+xml",
  png: "image/png",
  wgsl: "text/wgsl; charset=utf-8",
  ts: "text/plain; charset=utf-8",
  fits: "application/fits",
  fit: "application/fits",
  fts: "application/fits",
  gz: "application/gzip",
  npy: "application/octet-stream",
  pth: "application/octet-stream",
  safetensors: "application/octet-stream",
};

export function mimeType(file: string): string {
  const ext = file.toLowerCase().split("/").pop()!.split(".").pop() ?? "";
  return MIME[ext] ?? "application/octet-stream";
}

export interface Mount {
  /** URL prefix, starting and ending with "/". */
  prefix: string;
  /** Folder it maps to (absolute path, ending with "/"). */
  dir: string;
}

export interface StaticServer {
  server: Deno.HttpServer<Deno.NetAddr>;
  url: string;
}

const esc = (s: string) => s.replace(/[&<>"]/g, (c) => `&#${c.charCodeAt(0)};`);

async function listing(urlPath: string, dir: string): Promise<Response> {
  const names: string[] = [];
  for await (const e of Deno.readDir(dir)) if (!e.name.startsWith(".")) names.push(e.name + (e.isDirectory ? "/" : ""));
  names.sort();
  const items = names.map((n) => `<li><a href="${esc(encodeURI(n))}">${esc(n)}</a></li>`).join("\n");
  const html = `<!doctype html><meta charset="utf-8"><title>${esc(urlPath)}</title><h1>${esc(urlPath)}</h1><ul>\n${items}\n</ul>`;
  return new Response(html, { headers: { "content-type": MIME.html, "cache-control": "no-cache" } });
}

/**
 * A static file server over `mounts` (longest prefix first). Refuses `..` and dot-files (.git), lists folders
 * without an index.html, answers HEAD, and sends no-cache so a rebuilt bundle is picked up on reload.
 */
export function serveStatic(
  mounts: Mount[],
  opts: { hostname?: string; port?: number; redirects?: Record<string, string> } = {},
): StaticServer {
  const sorted = [...mounts].sort((a, b) => b.prefix.length - a.prefix.length);
  const hostname = opts.hostname ?? "127.0.0.1";
  const server = Deno.serve({ hostname, port: opts.port ?? 0, onListen: () => {} }, async (req) => {
    if (req.method !== "GET" && req.method !== "HEAD") return new Response("method not allowed", { status: 405 });
    let urlPath: string;
    try {
      urlPath = decodeURIComponent(new URL(req.url).pathname);
    } catch {
      return new Response("bad path", { status: 400 });
    }
    const redirect = opts.redirects?.[urlPath];
    if (redirect) return Response.redirect(new URL(redirect, req.url), 302);
    if (urlPath.split("/").some((seg) => seg === ".." || seg.startsWith("."))) {
      return new Response("bad path", { status: 400 });
    }
    const mount = sorted.find((m) => urlPath.startsWith(m.prefix) || urlPath + "/" === m.prefix);
    if (!mount) return new Response("not found", { status: 404 });
    const file = mount.dir + urlPath.slice(mount.prefix.length);
    try {
      const info = await Deno.stat(file);
      if (info.isDirectory) {
        if (!urlPath.endsWith("/")) return Response.redirect(new URL(urlPath + "/", req.url), 301);
        try {
          const index = await Deno.readFile(`${file}index.html`);
          return new Response(req.method === "HEAD" ? null : index, { headers: { "content-type": MIME.html } });
        } catch {
          return await listing(urlPath, file);
        }
      }
      const headers = {
        "content-type": mimeType(file),
        "content-length": String(info.size),
        "cache-control": "no-cache",
      };
      if (req.method === "HEAD") return new Response(null, { headers });
      return new Response(await Deno.readFile(file), { headers });
    } catch {
      return new Response("not found", { status: 404 });
    }
  });
  const host = hostname.includes(":") ? `[${hostname}]` : hostname;
  return { server, url: `http://${host}:${server.addr.port}` };
}

const repo = new URL("../../", import.meta.url).pathname;
const shared = new URL("../../../shared/", import.meta.url).pathname;

function isDir(p: string): boolean {
  try {
    return Deno.statSync(p).isDirectory;
  } catch {
    return false;
  }
}

/** The repository at /, ../shared at /shared/ when present; / redirects to the index page. */
export function repoMounts(): Mount[] {
  const mounts: Mount[] = [{ prefix: "/", dir: repo }];
  if (isDir(shared)) mounts.push({ prefix: "/shared/", dir: shared });
  return mounts;
}

export const PAGES: [string, string][] = [
  ["/dist/index.html", "index"],
  ["/dist/detect.html", "cosmic-ray detection of a FITS file"],
  ["/dist/train.html", "training on data simulated in the page (quick preset; ?auto=1&… for automation)"],
  ["/dist/bench.html", "benchmarks (kernels, inference, training step)"],
];

async function main(): Promise<number> {
  const args = parseArgs(Deno.args, { port: "8000", host: "127.0.0.1" });
  const port = Number(args.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    console.error(`serve: --port needs an integer in [0, 65535] (got '${args.port}')`);
    return 2;
  }
  await buildIfStale((s) => console.log(`serve: ${s}`));
  let served: StaticServer;
  try {
    served = serveStatic(repoMounts(), {
      hostname: String(args.host),
      port,
      redirects: { "/": "/dist/index.html", "/detect": "/dist/detect.html", "/train": "/dist/train.html", "/bench": "/dist/bench.html" },
    });
  } catch (e) {
    if (e instanceof Deno.errors.AddrInUse) {
      console.error(`serve: port ${port} is in use: pass --port N (0 picks a free one)`);
      return 1;
    }
    throw e;
  }
  const { url } = served;
  console.log(`serve: ${repo} at ${url}/`);
  if (isDir(shared)) console.log(`serve: ${shared} at ${url}/shared/`);
  for (const [p, what] of PAGES) console.log(`  ${url}${p}  ${what}`);
  console.log(`  ${url}/dist/crgpu.js  the library bundle (import * as crgpu from "${url}/dist/crgpu.js")`);
  if (!["127.0.0.1", "localhost", "::1"].includes(String(args.host))) {
    console.log("serve: WebGPU needs a secure context: browsers on other machines must reach it over https");
  }
  console.log("Ctrl-C stops the server.");
  await served.server.finished;
  return 0;
}

if (import.meta.main) Deno.exit(await main());

// The part of Deno's API that file-reading tests use (statSync, readFile, readTextFile, env), over HTTP, for
// running them in a page: the runner bundles such a test with esbuild's `inject`, which replaces the free
// identifier `Deno` in it with this object. In the bundle `import.meta.url` is the page's http URL, so the tests'
// `new URL("../../shared/…", import.meta.url)` resolves to /shared/…, which the runner serves from ../shared.
// statSync must be synchronous (tests call it at import time): it uses a synchronous XMLHttpRequest HEAD.

function href(path: string | URL): string {
  return new URL(String(path), location.href).href;
}

class NotFound extends Error {
  override name = "NotFound";
}

async function fetchOk(path: string | URL): Promise<Response> {
  const r = await fetch(href(path));
  if (!r.ok) throw new NotFound(`${href(path)}: HTTP ${r.status}`);
  return r;
}

export const Deno = {
  statSync(path: string | URL): { isFile: boolean; isDirectory: boolean } {
    const req = new XMLHttpRequest();
    req.open("HEAD", href(path), false);
    req.send();
    if (req.status !== 200) throw new NotFound(`${href(path)}: HTTP ${req.status}`);
    const isDirectory = href(path).endsWith("/");
    return { isFile: !isDirectory, isDirectory };
  },
  async readFile(path: string | URL): Promise<Uint8Array> {
    return new Uint8Array(await (await fetchOk(path)).arrayBuffer());
  },
  async readTextFile(path: string | URL): Promise<string> {
    return await (await fetchOk(path)).text();
  },
  env: { get: (_name: string): string | undefined => undefined },
  errors: { NotFound },
};

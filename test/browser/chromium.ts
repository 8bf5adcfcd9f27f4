// Launching headless Chromium with WebGPU on SwiftShader (Dawn's CPU Vulkan), shared by the browser tests
// (test/browser/run.ts) and the browser benchmark (bench/browser/run.ts). Debian's /usr/bin/chromium (or $CHROMIUM)
// driven by playwright-core; no browser is ever downloaded.
import { type BrowserContext, chromium } from "playwright-core";

export const CHROMIUM_ARGS = [
  "--headless=new",
  "--no-sandbox",
  "--enable-unsafe-webgpu",
  "--use-webgpu-adapter=swiftshader",
  "--enable-unsafe-swiftshader",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
  "--no-first-run",
];

/** The wanted executable: $CHROMIUM, else Debian's package. */
export function wantedChromium(): string {
  return Deno.env.get("CHROMIUM") ?? "/usr/bin/chromium";
}

/** The executable if it exists, else null. */
export function chromiumPath(): string | null {
  const p = wantedChromium();
  try {
    return Deno.statSync(p).isFile ? p : null;
  } catch {
    return null;
  }
}

export interface Browser {
  ctx: BrowserContext;
  /** Closes the browser and removes its temporary profile. */
  close(): Promise<void>;
}

/** Starts Chromium with a fresh temporary profile. `downloads` lets pages download files (the detection test). */
export async function launchChromium(exe: string, opts: { downloads?: boolean } = {}): Promise<Browser> {
  const profile = await Deno.makeTempDir({ prefix: "crgpu-chromium-" });
  // launchPersistentContext takes the profile directory Playwright would refuse as a --user-data-dir argument.
  const ctx = await chromium.launchPersistentContext(profile, {
    executablePath: exe,
    headless: false, // --headless=new is in the arguments; Playwright's own flag would pick the old headless shell
    // CHROMIUM_FLAGS: extra flags, space-separated (e.g. Dawn toggles, for experiments).
    args: [...CHROMIUM_ARGS, ...(Deno.env.get("CHROMIUM_FLAGS") ?? "").split(" ").filter((a) => a)],
    acceptDownloads: opts.downloads ?? false,
    viewport: { width: 1280, height: 860 },
  });
  return {
    ctx,
    close: async () => {
      await ctx.close();
      await Deno.remove(profile, { recursive: true }).catch(() => {});
    },
  };
}

/** Vendor / architecture / description of the page's WebGPU adapter; throws if there is none. */
export async function adapterInfo(ctx: BrowserContext, url: string): Promise<string> {
  const page = await ctx.newPage();
  try {
    await page.goto(url);
    const info = await page.evaluate(async () => {
      const a = await navigator.gpu?.requestAdapter();
      if (!a) return null;
      return [a.info.vendor, a.info.architecture, a.info.description].filter((s) => s).join(" / ");
    });
    if (info === null) throw new Error("Chromium exposes no WebGPU adapter (navigator.gpu or requestAdapter failed)");
    return info;
  } finally {
    await page.close();
  }
}

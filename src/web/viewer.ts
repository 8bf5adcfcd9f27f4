// Canvas view of an image with a mask overlay: FITS orientation (row 0 at the bottom, as ds9 shows it), nearest-
// neighbour zoom with the mouse wheel (about the cursor), drag to pan, double-click to fit. The image and the
// overlay are drawn once into off-screen canvases at native size; a redraw only scales them.

export interface Overlay {
  colour: [number, number, number];
  opacity: number;
  visible: boolean;
}

export interface Hover {
  /** 0-based column and row of the image (row 0 = FITS y 1). */
  x: number;
  y: number;
}

export class Viewer {
  private readonly ctx: CanvasRenderingContext2D;
  private image: HTMLCanvasElement | null = null;
  private overlay: HTMLCanvasElement | null = null;
  private width = 0;
  private height = 0;
  /** Screen pixels per image pixel, and the image point at the canvas centre. */
  private scale = 1;
  private cx = 0;
  private cy = 0;
  private drag: { x: number; y: number; cx: number; cy: number } | null = null;
  overlayStyle: Overlay = { colour: [255, 40, 120], opacity: 0.6, visible: true };
  onHover: (h: Hover | null) => void = () => {};

  constructor(readonly canvas: HTMLCanvasElement) {
    const ctx = canvas.getContext("2d");
    if (!ctx) throw new Error("this browser cannot draw on a 2-D canvas");
    this.ctx = ctx;
    new ResizeObserver(() => this.draw()).observe(canvas);
    canvas.addEventListener("wheel", (e) => this.wheel(e), { passive: false });
    canvas.addEventListener("pointerdown", (e) => {
      this.drag = { x: e.clientX, y: e.clientY, cx: this.cx, cy: this.cy };
      canvas.setPointerCapture(e.pointerId);
    });
    canvas.addEventListener("pointermove", (e) => {
      if (this.drag) {
        this.cx = this.drag.cx - (e.clientX - this.drag.x) / this.cssScale();
        this.cy = this.drag.cy + (e.clientY - this.drag.y) / this.cssScale();
        this.draw();
      }
      this.onHover(this.pick(e));
    });
    canvas.addEventListener("pointerup", () => (this.drag = null));
    canvas.addEventListener("pointerleave", () => this.onHover(null));
    canvas.addEventListener("dblclick", () => this.fit());
  }

  /** Grey levels (row-major, row 0 first) become the picture; the view is fitted to the canvas. */
  setImage(grey: Uint8Array, width: number, height: number): void {
    const sameSize = width === this.width && height === this.height;
    this.width = width;
    this.height = height;
    this.image = this.paint(width, height, (px) => {
      for (let i = 0; i < grey.length; i++) {
        const g = grey[i];
        px[4 * i] = g;
        px[4 * i + 1] = g;
        px[4 * i + 2] = g;
        px[4 * i + 3] = 255;
      }
    });
    if (!sameSize) {
      this.overlay = null;
      this.fit();
    } else {
      this.draw();
    }
  }

  /** 1 = flagged; null removes the overlay. */
  setMask(mask: Uint8Array | null): void {
    const { colour } = this.overlayStyle;
    this.overlay = mask && this.paint(this.width, this.height, (px) => {
      for (let i = 0; i < mask.length; i++) {
        if (!mask[i]) continue;
        px[4 * i] = colour[0];
        px[4 * i + 1] = colour[1];
        px[4 * i + 2] = colour[2];
        px[4 * i + 3] = 255;
      }
    });
    this.draw();
  }

  fit(): void {
    if (!this.width) return;
    const r = this.canvas.getBoundingClientRect();
    this.scale = Math.max(1e-3, Math.min(r.width / this.width, r.height / this.height) * 0.98);
    this.cx = this.width / 2;
    this.cy = this.height / 2;
    this.draw();
  }

  zoomBy(factor: number): void {
    this.scale = Math.min(64, Math.max(0.02, this.scale * factor));
    this.draw();
  }

  get zoom(): number {
    return this.scale;
  }

  private paint(w: number, h: number, fill: (px: Uint8ClampedArray) => void): HTMLCanvasElement {
    const c = document.createElement("canvas");
    c.width = w;
    c.height = h;
    const g = c.getContext("2d")!;
    const data = g.createImageData(w, h);
    fill(data.data);
    // Row 0 of the data is FITS y = 1: put it at the bottom.
    g.putImageData(data, 0, 0);
    return c;
  }

  /** CSS pixels per image pixel (scale is in CSS pixels; the backing store is devicePixelRatio times larger). */
  private cssScale(): number {
    return this.scale;
  }

  private pick(e: MouseEvent): Hover | null {
    if (!this.width) return null;
    const r = this.canvas.getBoundingClientRect();
    const x = Math.floor(this.cx + (e.clientX - r.left - r.width / 2) / this.scale);
    const yUp = this.cy - (e.clientY - r.top - r.height / 2) / this.scale;
    const y = Math.floor(yUp);
    return x >= 0 && y >= 0 && x < this.width && y < this.height ? { x, y } : null;
  }

  private wheel(e: WheelEvent): void {
    if (!this.width) return;
    e.preventDefault();
    const r = this.canvas.getBoundingClientRect();
    const mx = e.clientX - r.left - r.width / 2, my = e.clientY - r.top - r.height / 2;
    // Keep the image point under the cursor fixed.
    const px = this.cx + mx / this.scale, py = this.cy - my / this.scale;
    const factor = Math.exp(-e.deltaY * 0.0015);
    this.scale = Math.min(64, Math.max(0.02, this.scale * factor));
    this.cx = px - mx / this.scale;
    this.cy = py + my / this.scale;
    this.draw();
  }

  draw(): void {
    const dpr = globalThis.devicePixelRatio || 1;
    const r = this.canvas.getBoundingClientRect();
    const w = Math.max(1, Math.round(r.width * dpr)), h = Math.max(1, Math.round(r.height * dpr));
    if (this.canvas.width !== w || this.canvas.height !== h) {
      this.canvas.width = w;
      this.canvas.height = h;
    }
    const g = this.ctx;
    g.setTransform(1, 0, 0, 1, 0, 0);
    g.fillStyle = "#0b0e14";
    g.fillRect(0, 0, w, h);
    if (!this.image) return;
    const s = this.scale * dpr;
    // Image x → screen: (x − cx)·s + w/2; image row y (up) → screen: h/2 − (y − cy)·s, so flip vertically.
    g.setTransform(s, 0, 0, -s, w / 2 - this.cx * s, h / 2 + this.cy * s);
    g.imageSmoothingEnabled = false;
    g.drawImage(this.image, 0, 0);
    if (this.overlay && this.overlayStyle.visible) {
      g.globalAlpha = this.overlayStyle.opacity;
      g.drawImage(this.overlay, 0, 0);
      g.globalAlpha = 1;
    }
    g.setTransform(1, 0, 0, 1, 0, 0);
  }
}

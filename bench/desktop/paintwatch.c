// paintwatch: waits for the first contentful frame of a window on $DISPLAY.
//
// Every -i ms it looks for the largest viewable top-level window (no window
// manager runs, so the application's window is a child of the root), grabs
// that window's pixels from the screen leaving out its top -k pixels
// (Grantbook's native GTK menu bar lives there, before any web content),
// and counts distinct colours. The first frame with more than -t colours is
// the first paint. A window that is mapped but still shows its background,
// or a web view that has painted only a blank page, has a handful.
//
// With -s it keeps grabbing for that many ms after the first paint and
// notes the last frame that differs from the one before by more than -d
// pixels (default 500: more than a blinking caret): the page settled then.
//
// Prints one line, times as CLOCK_REALTIME nanoseconds since the epoch:
//   mapped=NS paint=NS settled=NS colours=N blank_max=N frames=N grab_us=N
// (colours: of the first painted frame; blank_max: most colours in a frame
// before it) and exits 0; on timeout prints what it saw (paint=0), exits 1.
// -o FILE writes the first painted frame (whole window) as a PPM, -O FILE
// the last one.
//
// Build: cc -O2 -o paintwatch paintwatch.c -lX11
#include <X11/Xlib.h>
#include <X11/Xutil.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static int64_t now_ns(void) {
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static int64_t mono_ns(void) {
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

// largest viewable child of the root at least 200x200; 0 if none.
static Window find_window(Display *d, Window root, XWindowAttributes *out) {
	Window r, p, *kids = NULL, best = 0;
	unsigned int n = 0;
	long best_area = 0;
	if (!XQueryTree(d, root, &r, &p, &kids, &n)) return 0;
	for (unsigned int i = 0; i < n; i++) {
		XWindowAttributes a;
		if (!XGetWindowAttributes(d, kids[i], &a)) continue;
		if (a.map_state != IsViewable || a.width < 200 || a.height < 200) continue;
		long area = (long)a.width * a.height;
		if (area > best_area) { best_area = area; best = kids[i]; *out = a; }
	}
	if (kids) XFree(kids);
	return best;
}

static inline uint32_t pixel(XImage *img, int x, int y) {
	if (img->bits_per_pixel == 32)
		return *(uint32_t *)(img->data + (size_t)y * img->bytes_per_line + (size_t)x * 4) & 0xffffff;
	return (uint32_t)XGetPixel(img, x, y) & 0xffffff;
}

// distinct pixel values in img; counting stops above limit (limit < 8192).
static int count_colours(XImage *img, int limit) {
	static uint32_t table[16384];
	static uint8_t used[16384];
	memset(used, 0, sizeof used);
	int count = 0;
	for (int y = 0; y < img->height; y++) {
		for (int x = 0; x < img->width; x++) {
			uint32_t v = pixel(img, x, y);
			uint32_t h = (v * 2654435761u) >> 18; // 14 bits
			while (used[h] && table[h] != v) h = (h + 1) & 16383;
			if (!used[h]) {
				used[h] = 1;
				table[h] = v;
				if (++count > limit) return count;
			}
		}
	}
	return count;
}

// pixels that differ between img and prev (the previous frame's pixels,
// w*h); copies img into prev. A frame of another size differs entirely.
static long diff_frame(XImage *img, uint32_t **prev, int *pw, int *ph) {
	long n = 0;
	int same = *prev && *pw == img->width && *ph == img->height;
	if (!same) {
		free(*prev);
		*prev = malloc((size_t)img->width * img->height * 4);
		*pw = img->width;
		*ph = img->height;
		n = (long)img->width * img->height;
	}
	for (int y = 0; y < img->height; y++)
		for (int x = 0; x < img->width; x++) {
			uint32_t v = pixel(img, x, y), *p = *prev + (size_t)y * img->width + x;
			if (same && *p != v) n++;
			*p = v;
		}
	return n;
}

static void save_ppm(const char *path, XImage *img) {
	FILE *f = fopen(path, "wb");
	if (!f) return;
	fprintf(f, "P6\n%d %d\n255\n", img->width, img->height);
	for (int y = 0; y < img->height; y++)
		for (int x = 0; x < img->width; x++) {
			unsigned long v = XGetPixel(img, x, y);
			unsigned char rgb[3] = {
				(unsigned char)((v & img->red_mask) >> __builtin_ctzl(img->red_mask)),
				(unsigned char)((v & img->green_mask) >> __builtin_ctzl(img->green_mask)),
				(unsigned char)((v & img->blue_mask) >> __builtin_ctzl(img->blue_mask)),
			};
			fwrite(rgb, 1, 3, f);
		}
	fclose(f);
}

// A window may vanish between listing and reading it: ignore X errors
// instead of exiting (the default handler).
static int ignore_error(Display *d, XErrorEvent *e) {
	(void)d;
	(void)e;
	return 0;
}

int main(int argc, char **argv) {
	int threshold = 50, skip_top = 40, interval_ms = 50, timeout_ms = 30000, settle_ms = 0, change_px = 500, c;
	const char *out = NULL, *out_last = NULL;
	while ((c = getopt(argc, argv, "t:k:i:T:s:d:o:O:")) != -1) {
		switch (c) {
		case 't': threshold = atoi(optarg); break;
		case 'k': skip_top = atoi(optarg); break;
		case 'i': interval_ms = atoi(optarg); break;
		case 'T': timeout_ms = atoi(optarg); break;
		case 's': settle_ms = atoi(optarg); break;
		case 'd': change_px = atoi(optarg); break;
		case 'o': out = optarg; break;
		case 'O': out_last = optarg; break;
		default:
			fprintf(stderr, "usage: paintwatch [-t colours] [-k top_px] [-i ms] [-T timeout_ms]\n"
			                "                  [-s settle_ms] [-d changed_px] [-o first.ppm] [-O last.ppm]\n");
			return 2;
		}
	}
	if (threshold < 1 || threshold > 4000) threshold = 50;
	Display *d = NULL;
	int64_t start = mono_ns(), deadline = start + (int64_t)timeout_ms * 1000000, paint_mono = 0;
	while (!(d = XOpenDisplay(NULL))) {
		if (mono_ns() > deadline) { fprintf(stderr, "paintwatch: cannot open display\n"); return 1; }
		usleep(20000);
	}
	XSetErrorHandler(ignore_error);
	Window root = DefaultRootWindow(d);
	int sw = DisplayWidth(d, DefaultScreen(d)), sh = DisplayHeight(d, DefaultScreen(d));
	int64_t mapped = 0, paint = 0, settled = 0, grab_total = 0;
	int colours = 0, blank_max = 0, frames = 0, prev_w = 0, prev_h = 0;
	uint32_t *prev = NULL;
	XWindowAttributes last = {0};
	for (int64_t next = mono_ns();; next += (int64_t)interval_ms * 1000000) {
		int64_t wait = next - mono_ns();
		if (wait > 0) {
			struct timespec ts = {wait / 1000000000, wait % 1000000000};
			nanosleep(&ts, NULL);
		}
		if (!paint && mono_ns() > deadline) break;
		if (paint && mono_ns() >= paint_mono + (int64_t)settle_ms * 1000000) break;
		int64_t t = now_ns(), g0 = mono_ns();
		XWindowAttributes a = {0};
		if (!find_window(d, root, &a)) continue;
		if (!mapped) mapped = t;
		last = a;
		// the window's area on screen, clamped, without the top strip
		int x0 = a.x < 0 ? 0 : a.x, y0 = a.y + skip_top < 0 ? 0 : a.y + skip_top;
		int x1 = a.x + a.width > sw ? sw : a.x + a.width, y1 = a.y + a.height > sh ? sh : a.y + a.height;
		if (x1 <= x0 || y1 <= y0) continue;
		XImage *img = XGetImage(d, root, x0, y0, x1 - x0, y1 - y0, AllPlanes, ZPixmap);
		if (!img) continue;
		frames++;
		if (paint) {
			// after the first paint: when did the page last change by more
			// than a caret blink?
			if (diff_frame(img, &prev, &prev_w, &prev_h) > change_px) settled = t;
			XDestroyImage(img);
			grab_total += mono_ns() - g0;
			continue;
		}
		int n = count_colours(img, threshold);
		if (n <= threshold) {
			if (n > blank_max) blank_max = n;
			XDestroyImage(img);
			grab_total += mono_ns() - g0;
			continue;
		}
		paint = settled = t;
		paint_mono = mono_ns();
		colours = count_colours(img, 8000);
		diff_frame(img, &prev, &prev_w, &prev_h);
		XDestroyImage(img);
		grab_total += mono_ns() - g0;
		if (out) {
			int fy0 = a.y < 0 ? 0 : a.y;
			XImage *full = XGetImage(d, root, x0, fy0, x1 - x0, y1 - fy0, AllPlanes, ZPixmap);
			if (full) { save_ppm(out, full); XDestroyImage(full); }
		}
		if (settle_ms <= 0) break;
	}
	if (paint && out_last && last.width > 0) {
		int x0 = last.x < 0 ? 0 : last.x, y0 = last.y < 0 ? 0 : last.y;
		int x1 = last.x + last.width > sw ? sw : last.x + last.width, y1 = last.y + last.height > sh ? sh : last.y + last.height;
		XImage *full = XGetImage(d, root, x0, y0, x1 - x0, y1 - y0, AllPlanes, ZPixmap);
		if (full) { save_ppm(out_last, full); XDestroyImage(full); }
	}
	printf("mapped=%lld paint=%lld settled=%lld colours=%d blank_max=%d frames=%d grab_us=%lld\n",
	       (long long)mapped, (long long)paint, (long long)settled, colours, blank_max, frames,
	       (long long)(frames ? grab_total / frames / 1000 : 0));
	free(prev);
	XCloseDisplay(d);
	return paint ? 0 : 1;
}

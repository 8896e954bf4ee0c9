// embed-frame.js — what a lab page does when it sits in an <iframe> of a course page
// (embed.html, or any lab page with `&embed=1` in its hash, e.g. svm.html#…&embed=1):
//   - no page chrome (body.embed: no top bar, the layout adapts from a phone to a wide column);
//   - it posts its content height to the parent, {gradlab: 1, type: 'resize', height} (CSS px),
//     whenever that changes, so the parent can size the frame with no inner scrollbar
//     (gradlab.mount and gradlab.autosize in gradlab-embed.js apply it);
//   - its first run waits until the frame is scrolled into view (IntersectionObserver with the
//     implicit root: the top-level viewport, which works in a cross-origin frame too), so a
//     lecture page with several embeds does not start them all at once. `&lazy=0` starts at once.
// The height is no secret of the lab's (the parent can measure the frame anyway), so it goes to
// any parent ('*'); nothing else is sent before an origin is checked (embed-page.js).

export const framed = window.parent !== window;

const embedFlag = () => /(^#|&)embed=1(&|$)/.test(location.hash);

// A framed page (embed.html always is one; other pages with &embed=1).
export function framedPage() {
  return framed && (document.body.classList.contains('embed') || embedFlag());
}

if (embedFlag()) document.body.classList.add('embed');
if (document.body.classList.contains('embed')) reportHeight();

function contentHeight() {
  // The body's own box (the html element is at least the frame's height, never smaller).
  const body = document.body, style = getComputedStyle(body);
  return Math.ceil(body.getBoundingClientRect().height + parseFloat(style.marginTop) + parseFloat(style.marginBottom));
}

function reportHeight() {
  if (!framed || typeof ResizeObserver !== 'function') return;
  let last = -1;
  const post = () => {
    const height = contentHeight();
    if (height === last) return;
    last = height;
    window.parent.postMessage({ gradlab: 1, type: 'resize', height }, '*');
  };
  new ResizeObserver(post).observe(document.body);
  post();
}

// Resolves once any part of the page is in the top-level viewport (at once when not framed).
export function whenVisible() {
  if (!framed || typeof IntersectionObserver !== 'function') return Promise.resolve();
  return new Promise((resolve) => {
    const observer = new IntersectionObserver((entries) => {
      if (entries.some((e) => e.isIntersecting)) { observer.disconnect(); resolve(); }
    });
    observer.observe(document.body);
  });
}

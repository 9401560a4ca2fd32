// Paint each gallery tile's blurhash placeholder until its thumbnail arrives.
import { decode } from "../vendor/blurhash.mjs";

for (const canvas of document.querySelectorAll("canvas[data-blurhash]")) {
  try {
    const pixels = decode(canvas.dataset.blurhash, canvas.width, canvas.height);
    const context = canvas.getContext("2d");
    const image = context.createImageData(canvas.width, canvas.height);
    image.data.set(pixels);
    context.putImageData(image, 0, 0);
  } catch (error) {
    canvas.remove(); // an invalid hash: the plain tile background is fine
  }
}

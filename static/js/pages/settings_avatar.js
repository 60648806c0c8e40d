// /settings/avatar (content-server.md §3 "Settings"): the profile picture. A chosen file is
// checked, opened and cropped to a square in the browser (drag or arrow keys, zoom slider), then
// the square is uploaded (POST /v1/avatar/upload); "Remove" deletes it (DELETE /v1/avatar/{id}),
// which brings back the monogram the profile server draws from the name or email.
import { ApiError } from "../api.js";
import { format, gettext } from "../i18n.js";
import { notifyProfileChange } from "../firefox.js";
import { AVATAR_TYPES, AVATAR_UPLOAD_BYTES, currentAvatar, removeAvatar, uploadAvatar } from "../profile.js";
import { endedSession, openSettings, toast } from "../settings.js";
import { onSubmit, showError } from "../ui.js";

// The chosen file is only opened here: what is sent is the cropped square, at most
// AVATAR_UPLOAD_BYTES. This bound keeps a huge photo from exhausting the tab.
const MAX_FILE_MB = 10;
const OUTPUT = 600; // px: the profile server's largest avatar (oauth/profile/images.py MAX_SIZE)
const KEY_STEP = 20; // canvas px per arrow key press
const IMAGE_PROCESSING_ERROR = 103;

const notice = () => document.querySelector("[data-avatar-notice]");

function say(message) {
  notice().textContent = message;
  notice().className = "notice notice-error";
}

function uploadProblem(error) {
  if (!(error instanceof ApiError)) return null;
  if (error.status === 413) return gettext("This picture is too large to upload. Choose a smaller picture.");
  if (error.status === 415) return gettext("This type of file cannot be used. Choose a PNG, JPEG, GIF or WebP image.");
  if (error.errno === IMAGE_PROCESSING_ERROR) return gettext("We could not use this picture. Try another one.");
  return null;
}

/** The canvas as an image file: PNG, or JPEG (on white) when the PNG would be too large. */
async function squareImage(crop) {
  const blob = (type, quality) => new Promise((resolve) => crop.canvas.toBlob(resolve, type, quality));
  const png = await blob("image/png");
  if (png && png.size <= AVATAR_UPLOAD_BYTES) return png;
  crop.draw("#fff");
  const jpeg = await blob("image/jpeg", 0.9);
  crop.draw();
  return jpeg;
}

/** The square of `bitmap` shown on `canvas`: its centre (source px) and zoom (1 = the whole short side). */
function cropper(canvas, zoom, bitmap) {
  const context = canvas.getContext("2d");
  const state = { cx: bitmap.width / 2, cy: bitmap.height / 2, zoom: 1 };
  const side = () => Math.min(bitmap.width, bitmap.height) / state.zoom;
  const clamp = () => {
    const half = side() / 2;
    state.cx = Math.min(Math.max(state.cx, half), bitmap.width - half);
    state.cy = Math.min(Math.max(state.cy, half), bitmap.height - half);
  };
  const crop = {
    canvas,
    draw(background) {
      clamp();
      const s = side();
      context.clearRect(0, 0, OUTPUT, OUTPUT);
      if (background) {
        context.fillStyle = background;
        context.fillRect(0, 0, OUTPUT, OUTPUT);
      }
      context.imageSmoothingQuality = "high";
      context.drawImage(bitmap, state.cx - s / 2, state.cy - s / 2, s, s, 0, 0, OUTPUT, OUTPUT);
    },
    /** Move by (dx, dy) canvas pixels as shown on screen: the picture follows the pointer. */
    move(dx, dy) {
      const perShownPixel = side() / canvas.getBoundingClientRect().width;
      state.cx -= dx * perShownPixel;
      state.cy -= dy * perShownPixel;
      crop.draw();
    },
    zoomTo(value) {
      state.zoom = Math.min(Math.max(value, Number(zoom.min)), Number(zoom.max));
      zoom.value = String(state.zoom);
      crop.draw();
    },
  };
  zoom.value = "1";
  crop.draw();
  return crop;
}

function bindCropControls(canvas, zoom, current) {
  let drag = null;
  canvas.addEventListener("pointerdown", (event) => {
    if (!current()) return;
    drag = { x: event.clientX, y: event.clientY };
    canvas.setPointerCapture(event.pointerId);
  });
  canvas.addEventListener("pointermove", (event) => {
    if (!drag || !current()) return;
    current().move(event.clientX - drag.x, event.clientY - drag.y);
    drag = { x: event.clientX, y: event.clientY };
  });
  const stop = () => { drag = null; };
  canvas.addEventListener("pointerup", stop);
  canvas.addEventListener("pointercancel", stop);
  canvas.addEventListener("keydown", (event) => {
    const crop = current();
    if (!crop) return;
    const moves = { ArrowLeft: [KEY_STEP, 0], ArrowRight: [-KEY_STEP, 0], ArrowUp: [0, KEY_STEP], ArrowDown: [0, -KEY_STEP] };
    if (moves[event.key]) crop.move(...moves[event.key]);
    else if (event.key === "+" || event.key === "=") crop.zoomTo(Number(zoom.value) + 0.1);
    else if (event.key === "-") crop.zoomTo(Number(zoom.value) - 0.1);
    else return;
    event.preventDefault();
  });
  zoom.addEventListener("input", () => current() && current().zoomTo(Number(zoom.value)));
}

/** The chosen file opened as a bitmap, or null after saying why it cannot be used. */
async function openFile(file) {
  if (!AVATAR_TYPES.includes(file.type)) {
    say(gettext("This file is not a picture we can use. Choose a PNG, JPEG, GIF or WebP image."));
    return null;
  }
  if (file.size > MAX_FILE_MB * 1024 * 1024) {
    say(format(gettext("This picture is larger than %(size)s MB. Choose a smaller one."), { size: MAX_FILE_MB }));
    return null;
  }
  try {
    return await createImageBitmap(file);
  } catch {
    say(gettext("We could not open this picture. It may be damaged: try another one."));
    return null;
  }
}

export async function init() {
  const account = await openSettings();
  if (!account) return;
  const view = document.querySelector("[data-avatar-view]");
  const image = document.querySelector("[data-avatar-image]");
  const defaultNote = document.querySelector("[data-avatar-default-note]");
  const removeForm = document.getElementById("avatar-remove-form");
  const cropForm = document.getElementById("avatar-crop-form");
  const fileInput = document.getElementById("avatar-file");
  const canvas = document.querySelector("[data-avatar-canvas]");
  const zoom = document.getElementById("avatar-zoom");
  let shown = null; // {id, avatar, avatarDefault}
  let crop = null;

  const call = async (promise) => {
    try {
      return await promise;
    } catch (error) {
      if (endedSession(error)) return new Promise(() => {}); // leaving for the sign-in page
      throw error;
    }
  };
  const show = async () => {
    shown = await call(currentAvatar(account));
    image.src = shown.avatar;
    image.hidden = false;
    image.dataset.avatarDefault = String(shown.avatarDefault);
    defaultNote.hidden = !shown.avatarDefault;
    removeForm.hidden = shown.avatarDefault;
  };
  const closeCrop = () => {
    crop = null;
    cropForm.hidden = true;
    view.hidden = false;
  };

  await show();
  bindCropControls(canvas, zoom, () => crop);

  fileInput.addEventListener("change", async () => {
    const file = fileInput.files[0];
    fileInput.value = ""; // the same file can be chosen again after a cancel
    notice().textContent = "";
    if (!file) return;
    const bitmap = await openFile(file);
    if (!bitmap) return;
    crop = cropper(canvas, zoom, bitmap);
    view.hidden = true;
    cropForm.hidden = false;
    canvas.focus();
  });

  document.querySelector("[data-avatar-cancel]").addEventListener("click", () => {
    closeCrop();
    fileInput.focus();
  });

  onSubmit(cropForm, async () => {
    const blob = await squareImage(crop);
    try {
      await call(uploadAvatar(account, blob));
    } catch (error) {
      const problem = uploadProblem(error);
      if (!problem) throw error;
      showError(cropForm, problem);
      return;
    }
    await show();
    closeCrop();
    notifyProfileChange(account.uid);
    toast(gettext("Profile picture saved."));
  });

  onSubmit(removeForm, async () => {
    await call(removeAvatar(account, shown.id));
    await show();
    fileInput.focus();
    notifyProfileChange(account.uid);
    toast(gettext("Profile picture removed."));
  });
}

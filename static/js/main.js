// Entry point of every page: marks scripting as available, then runs the module of the page
// named by <body data-page>. Each page module exports `init()`.
document.documentElement.classList.replace("no-js", "js");

const page = document.body.dataset.page;
if (page) {
  import(`./pages/${page}.js`)
    .then((module) => module.init())
    // The page's forms are bound from here on (browser tests wait for this attribute).
    .then(() => { document.body.dataset.ready = "true"; })
    .catch((error) => {
      console.error(error);
      const region = document.querySelector("[data-form-error]");
      if (region) {
        region.textContent = globalThis.django
          ? globalThis.django.gettext("Something went wrong. Reload the page and try again.")
          : "Something went wrong. Reload the page and try again.";
        region.className = "notice notice-error";
      }
    });
}

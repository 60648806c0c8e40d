// response_mode=form_post: post the answer to the relying party as soon as the page is shown.
document.getElementById("form-post").submit();

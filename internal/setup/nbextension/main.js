// klcourse: Shift-Tab shows the Go kernel's documentation in the classic
// notebook.
//
// GoNB answers an inspection request (Shift-Tab) with gopls's documentation
// as Markdown only (text/markdown), and the classic notebook's tooltip shows
// only text/plain: without this extension Shift-Tab on a Go name shows
// nothing. It copies the Markdown into text/plain when a reply has none,
// without the code fences and rules that are noise as plain text (the
// tooltip escapes it and shows it as preformatted text). Installed by
// `klcourse setup` (and `setup --system` for every user of a lab).
define(['notebook/js/tooltip'], function (tooltip) {
    "use strict";
    function load_ipython_extension() {
        var proto = tooltip.Tooltip.prototype;
        if (proto._klcourseMarkdown) {
            return;
        }
        var show = proto._show;
        proto._show = function (reply) {
            var data = reply && reply.content && reply.content.data;
            if (data && !data['text/plain'] && data['text/markdown']) {
                data['text/plain'] = data['text/markdown'].split('\n').filter(function (line) {
                    return !/^\s*(```[\w-]*|---)\s*$/.test(line);
                }).join('\n');
            }
            return show.call(this, reply);
        };
        proto._klcourseMarkdown = true;
    }
    return {load_ipython_extension: load_ipython_extension};
});

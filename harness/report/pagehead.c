/*
 * The head every page of a report shares (see figure.h): one style sheet
 * and the script the tests read back.
 */
#include <stdio.h>

#include "common/escape.h"
#include "report/figure.h"

/* Wide tables scroll inside their box (display:block) rather than past
 * the page's width. */
static const char css[] =
    "body{font-family:sans-serif;margin:2em;max-width:1100px;color:#222}"
    "h1{font-size:1.5em;margin-bottom:0.3em}"
    "h2{font-size:1.2em;border-bottom:1px solid #ccc;margin-top:2em}"
    "table{border-collapse:collapse;margin:1em 0;font-size:0.85em;display:block;"
    "overflow-x:auto;max-width:100%}"
    "td,th{border:1px solid #ddd;padding:2px 6px;text-align:right}"
    "td.l,th.l{text-align:left}td:first-child{white-space:nowrap}"
    "figure{margin:1em 0}img{max-width:100%;height:auto}"
    "figcaption{font-size:0.85em;color:#555}.bad{color:#b00}.note{color:#555}"
    ".banner{font-size:1.25em;padding:0.6em 0.9em;border-radius:4px;margin:0.5em 0;"
    "color:#fff}.banner.pass{background:#1a7f37}.banner.fail{background:#c62828}"
    ".banner.none{background:#6b6b6b}.counts{font-size:0.75em;margin-left:1.5em}"
    ".banner .why{font-size:0.75em}"
    "ul.skips,ul.hosts{margin:0.4em 0;padding-left:1.5em;font-size:0.9em}"
    ".keyhead{margin:0.8em 0 0}table.key{margin-top:0.3em}"
    "nav{font-size:0.9em;margin:0.8em 0;line-height:1.6}"
    "td.why{max-width:32em}.missing{color:#b00}details{margin:0 0 1em}"
    "summary{cursor:pointer;color:#555;font-size:0.9em}li{margin:0.2em 0}"
    ".regressions{color:#b00}.tdp{color:" KB_COLOR_TDP "}.shadow{color:" KB_COLOR_SHADOW "}";

/* Marks on <body> whether every figure loaded, and how many of the page's
 * blocks stick out past its width (a table scrolls inside its box, so is
 * not one): the tests read them back. */
static const char check_script[] =
    "<script>window.addEventListener('load',function(){var im=document.images,ok=0,bad=0;"
    "for(var i=0;i<im.length;i++){if(im[i].complete&&im[i].naturalWidth>0)ok++;else bad++;}"
    "var b=document.body,r=b.getBoundingClientRect().right+1,wide=0,"
    "el=document.querySelectorAll('body>*,section>*,details>*');"
    "for(var j=0;j<el.length;j++)if(el[j].getBoundingClientRect().right>r)wide++;"
    "b.setAttribute('data-figures-loaded',ok);b.setAttribute('data-figures-broken',bad);"
    "b.setAttribute('data-too-wide',wide);});</script>";

void kb_page_start(FILE *f, const char *title)
{
	fprintf(f, "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>");
	kb_esc_html(f, title);
	fprintf(f, "</title><style>%s</style>%s</head>\n<body>\n<h1>", css, check_script);
	kb_esc_html(f, title);
	fprintf(f, "</h1>\n");
}

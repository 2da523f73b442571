/*
 * web_assets.h: the files of web/ compiled into the binary (internal to src/serve).
 *
 * The table is generated at build time by cmake/embed_web.cmake from the files in web/; paths start with
 * "/" ("/index.html"). The data has a terminating NUL byte that `size` does not count.
 */
#ifndef LOOKOUT_SERVE_WEB_ASSETS_H
#define LOOKOUT_SERVE_WEB_ASSETS_H

#include <stddef.h>

typedef struct lo_web_asset {
    const char *path;
    const unsigned char *data;
    size_t size;
} lo_web_asset;

extern const lo_web_asset lo_web_assets[];
extern const size_t lo_web_asset_count;

#endif

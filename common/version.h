/*
 * The build's version and git description.  The Makefile passes both with
 * -D; these fallbacks keep a hand-compiled file building.
 */
#ifndef KB_VERSION_H
#define KB_VERSION_H

#ifndef KB_VERSION
#define KB_VERSION "0"
#endif
#ifndef KB_GIT
#define KB_GIT "unknown"
#endif

#endif

/* The preload's glue between the interposed functions and the engine. */
#ifndef STSENV_RUNTIME_H
#define STSENV_RUNTIME_H

char *stsenv_getenv(const char *name, int secure);

#endif

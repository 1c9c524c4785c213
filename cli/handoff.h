/* The launcher's own keeper, for a command run in the launcher's place
 * (cli/handoff.c). */
#ifndef STSENV_HANDOFF_H
#define STSENV_HANDOFF_H

#include "../core/page.h"
#include "../core/tree.h"

struct cli;

struct handoff {
	const struct stsenv_page_view *view;
	struct stsenv_tree tree;
	char tree_value[STSENV_TREE_MAX];
	char endpoint[STSENV_PAGE_ENDPOINT_MAX]; /* "" if the keeper has none */
};

/* Starts `stsenv keep` for this process's tree, hands it the settings, the
 * description and credential s, and maps the page it answers with.  0, or
 * -1 with err set. */
int handoff_keeper(struct cli *c, const struct stsenv_snap *s, struct handoff *h,
		   struct stsenv_err *err);

#endif

/* lookout simulate: not built yet; see the open issues. Refuses with a clear message. */
#include <string.h>

#include "commands.h"

int cmd_simulate(int argc, char **argv)
{
    if (argc > 1 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
        printf("Usage: lookout simulate ...\n(not available in this build yet)\n");
        return LO_EXIT_OK;
    }
    fprintf(stderr, "lookout simulate: not available in this build yet\n");
    return LO_EXIT_FAIL;
}

/* lookout eval: not built yet; see the open issues. Refuses with a clear message. */
#include <string.h>

#include "commands.h"

int cmd_eval(int argc, char **argv)
{
    if (argc > 1 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
        printf("Usage: lookout eval ...\n(not available in this build yet)\n");
        return LO_EXIT_OK;
    }
    fprintf(stderr, "lookout eval: not available in this build yet\n");
    return LO_EXIT_FAIL;
}

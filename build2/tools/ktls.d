build2/tools/ktls.o: tools/ktls.c tools/cli.h
tools/cli.h:

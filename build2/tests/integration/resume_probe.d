build2/tests/integration/resume_probe.o: tests/integration/resume_probe.c \
 lib/ktls.h
lib/ktls.h:

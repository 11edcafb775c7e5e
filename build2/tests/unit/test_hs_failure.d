build2/tests/unit/test_hs_failure.o: tests/unit/test_hs_failure.c \
 daemon/engine/hs_failure.h
daemon/engine/hs_failure.h:

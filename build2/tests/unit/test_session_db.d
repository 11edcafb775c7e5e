build2/tests/unit/test_session_db.o: tests/unit/test_session_db.c \
 daemon/config/config.h lib/ktls.h daemon/sessions/server_resume.h \
 daemon/sessions/session_db.h daemon/sessions/ticket_keys.h \
 tests/unit/unit_files.h
daemon/config/config.h:
lib/ktls.h:
daemon/sessions/server_resume.h:
daemon/sessions/session_db.h:
daemon/sessions/ticket_keys.h:
tests/unit/unit_files.h:

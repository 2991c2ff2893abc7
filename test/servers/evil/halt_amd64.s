#include "textflag.h"

TEXT ·halt(SB), NOSPLIT, $0
	HLT
	RET

#ifndef HD_CTL_VERIFY_SEAL_H
#define HD_CTL_VERIFY_SEAL_H
/* helpdeskctl verify-seal: check a message's X-Helpdesk-Seal (SPEC s.12). */
int hd_ctl_verify_seal(int argc, char **argv);
#endif

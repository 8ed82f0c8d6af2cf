use strict;
use warnings;
package RT::Action::HelpdeskMilter;
use base 'RT::Action';

# On ticket create and correspond: when the message's X-Helpdesk-Seal
# verifies, set the ticket's priority (X-Helpdesk-Native-Priority), due date
# (X-Helpdesk-Resolution-Due) and the configured custom fields. Anything
# unsealed or badly sealed changes nothing.

use RT::Extension::HelpdeskMilter;

sub Prepare { return 1 }

sub Commit {
    my $self = shift;
    my $ticket = $self->TicketObj;
    my $msg = $self->TransactionObj->Message->First or return 1;
    my ($v, $why) = RT::Extension::HelpdeskMilter->Verify($msg->Headers);
    unless ($v) {
        RT->Logger->info("HelpdeskMilter: ticket " . $ticket->id . ": $why; nothing changed");
        return 1;
    }
    my %v = map { lc($_) => $v->{$_} } keys %$v;
    if (defined(my $p = $v{'x-helpdesk-native-priority'})) {
        $ticket->SetPriority($1) if $p =~ /^(\d{1,2})\b/;
    }
    if (defined(my $due = $v{'x-helpdesk-resolution-due'})) {
        if ($due =~ /^(\d{4}-\d\d-\d\d)T(\d\d:\d\d:\d\d)Z/) {
            my $d = RT::Date->new(RT->SystemUser);
            $d->Set(Format => 'ISO', Value => "$1 $2", Timezone => 'UTC');
            $ticket->SetDue($d->ISO);
        }
    }
    my $cfs = RT->Config->Get('HelpdeskMilterCustomFields') || {};
    for my $hdr (keys %$cfs) {
        my $val = $v{lc $hdr};
        next unless defined $val;
        $val =~ s/;.*//;    # the bare name: "critical; rule=..." -> "critical"
        my $cf = $ticket->LoadCustomFieldByIdentifier($cfs->{$hdr});
        next unless $cf && $cf->id;
        $ticket->AddCustomFieldValue(Field => $cf->id, Value => $val, RecordTransaction => 0);
    }
    RT->Logger->info("HelpdeskMilter: ticket " . $ticket->id . ": sealed stamps applied");
    return 1;
}

1;

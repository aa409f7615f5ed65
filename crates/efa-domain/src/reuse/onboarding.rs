//! Onboarding after an agreement is active: each step is done by the party it belongs to;
//! when all are done the service is live for the municipality.

crate::enums::string_enum!(
    OnboardingStep, "step" {
        /// The municipality registered its FIT-Connect destination for the service.
        FitConnectDestination = "fit_connect_destination",
        /// The responsibility is entered in the portal network (PVOG).
        PvogResponsibility = "pvog_responsibility",
        /// The municipality's Fachverfahren receives the submissions.
        FachverfahrenConnected = "fachverfahren_connected",
        /// The provider ran a test case through to the Fachverfahren.
        TestCasePassed = "test_case_passed",
    }
);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Party {
    /// The reusing municipality (or the bundler acting for it).
    Municipality,
    Provider,
}

impl OnboardingStep {
    pub fn party(self) -> Party {
        match self {
            OnboardingStep::FitConnectDestination | OnboardingStep::PvogResponsibility | OnboardingStep::FachverfahrenConnected => Party::Municipality,
            OnboardingStep::TestCasePassed => Party::Provider,
        }
    }
}

/// All steps done?
pub fn onboarding_complete(done: &[OnboardingStep]) -> bool {
    OnboardingStep::ALL.iter().all(|s| done.contains(s))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn complete_only_with_every_step() {
        let mut done = Vec::new();
        for &s in OnboardingStep::ALL {
            assert!(!onboarding_complete(&done));
            done.push(s);
        }
        assert!(onboarding_complete(&done));
    }

    #[test]
    fn the_test_case_belongs_to_the_provider() {
        assert_eq!(OnboardingStep::TestCasePassed.party(), Party::Provider);
        assert_eq!(OnboardingStep::FitConnectDestination.party(), Party::Municipality);
    }
}
